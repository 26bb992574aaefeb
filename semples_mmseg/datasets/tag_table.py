"""Label tables: image-level tags of a folder of images, as CSV or JSON.

CSV: a header naming the columns ``image`` and ``labels`` (or ``tags``),
then one row per image, the tags separated by ``;``::

    image,labels
    beach/img_001.jpg,boat;bird
    "field, north/img_7.png",sheep

JSON: an object ``{"beach/img_001.jpg": ["boat", "bird"], ...}`` (a string
value is read like a CSV field, ``"boat;bird"``).

Images are paths below the image folder (``\\`` is read as ``/``). Tags are
stripped of surrounding spaces; empty tags (``boat;;bird``) and repeats in a
row are dropped. Rows are named as a spreadsheet numbers them (``row 5``: the
header is row 1) or, in JSON, by position and key (``entry 3 ("a.jpg")``).
A table that cannot be read at all raises ``ValueError`` naming the file;
problems of single rows are returned, all of them, for the caller to report.
"""
import csv
import io
import json
import os.path as osp
import posixpath
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from mmengine import fileio

IMAGE_COLUMNS = ('image', )
TAG_COLUMNS = ('labels', 'tags')
TAG_SEPARATOR = ';'
TABLE_FORMATS = ('.csv', '.json')


@dataclass(frozen=True)
class TagRow:
    """One row of a label table: where it is, the image as written, its
    tags (stripped, empty ones and repeats dropped)."""
    where: str
    image: str
    tags: Tuple[str, ...]
    raw_tags: str = ''  # the tag field as written (for the skipped-rows file)


@dataclass(frozen=True)
class RowProblem:
    """A problem of one row (``where``; with the row's image and tag field
    as written, where read) or of the whole table (``where=''``)."""
    where: str
    message: str
    image: str = ''
    raw_tags: str = ''

    def __str__(self) -> str:
        return f'{self.where}: {self.message}' if self.where else self.message


def split_tags(field: str) -> Tuple[str, ...]:
    """``' boat; bird;;boat '`` -> ``('boat', 'bird')``."""
    tags = (t.strip() for t in field.split(TAG_SEPARATOR))
    return tuple(dict.fromkeys(t for t in tags if t))


def normalize_image_path(image: str) -> str:
    """The table's image path in one spelling: ``/`` separators, no ``./``."""
    image = image.strip().replace('\\', '/')
    return posixpath.normpath(image) if image else image


def _decode(path: str) -> str:
    data = fileio.get(path)
    if data[:2] in (b'\xff\xfe', b'\xfe\xff'):
        raise ValueError(f'label table {path} is UTF-16 encoded: save it as '
                         'UTF-8')
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        raise ValueError(f'label table {path} is not UTF-8 text ({exc})'
                         ) from exc


def _header_columns(header: Sequence[str], path: str) -> Tuple[int, int]:
    names = [h.strip().lower() for h in header]
    image = next((i for i, n in enumerate(names) if n in IMAGE_COLUMNS), None)
    tags = next((i for i, n in enumerate(names) if n in TAG_COLUMNS), None)
    if image is not None and tags is not None:
        return image, tags
    hint = ''
    if len(header) == 1 and TAG_SEPARATOR in header[0]:
        hint = ": its columns are separated by ';', use ','"
    elif len(header) == 1 and '\t' in header[0]:
        hint = ': its columns are separated by tabs, use ","'
    raise ValueError(f'label table {path}: the first row must name the '
                     f'columns image and labels, got {list(header)}{hint}')


def read_csv_table(path: str) -> Tuple[List[TagRow], List[RowProblem]]:
    """Rows and row problems of a CSV table (see the module doc)."""
    reader = csv.reader(io.StringIO(_decode(path), newline=''))
    rows: List[TagRow] = []
    problems: List[RowProblem] = []
    header, line = None, 1
    for record in reader:
        where = f'row {line}'
        line = reader.line_num + 1  # a quoted field may span lines
        if not any(field.strip() for field in record):
            continue
        if header is None:
            header = record
            image_col, tag_col = _header_columns(record, path)
            continue
        if len(record) > len(header):
            problems.append(RowProblem(
                where, f'{len(record)} fields, the header has '
                f"{len(header)}: separate tags with ';' (boat;bird) or "
                'quote the field', record[0].strip(), ','.join(record[1:])))
            continue
        image = record[image_col].strip() if image_col < len(record) else ''
        field = record[tag_col] if tag_col < len(record) else ''
        if not image:
            problems.append(RowProblem(where, 'no image', '', field))
            continue
        rows.append(TagRow(where, image, split_tags(field), field))
    if header is None:
        raise ValueError(f'label table {path} is empty')
    return rows, problems


def read_json_table(path: str) -> Tuple[List[TagRow], List[RowProblem]]:
    """Rows and row problems of a JSON table (see the module doc); a key
    given twice is a problem of its second entry."""
    try:
        pairs = json.loads(_decode(path), object_pairs_hook=lambda p: p)
    except json.JSONDecodeError as exc:
        raise ValueError(f'label table {path} is not valid JSON ({exc})'
                         ) from exc
    if not isinstance(pairs, list) or not all(
            isinstance(p, tuple) for p in pairs):
        raise ValueError(f'label table {path} must hold one object '
                         '{"image": ["tag", ...], ...}')
    rows: List[TagRow] = []
    problems: List[RowProblem] = []
    for index, (image, value) in enumerate(pairs, start=1):
        where = f'entry {index} ({json.dumps(image, ensure_ascii=False)})'
        if isinstance(value, str):
            value = value.split(TAG_SEPARATOR)
        if not isinstance(value, list) or not all(
                isinstance(t, str) for t in value):
            problems.append(RowProblem(
                where, 'tags must be a list of strings, got '
                f'{json.dumps(value, ensure_ascii=False)}', image.strip(),
                json.dumps(value, ensure_ascii=False)))
            continue
        if not image.strip():
            problems.append(RowProblem(where, 'no image', '',
                                       TAG_SEPARATOR.join(value)))
            continue
        rows.append(TagRow(where, image.strip(),
                           split_tags(TAG_SEPARATOR.join(value)),
                           TAG_SEPARATOR.join(value)))
    return rows, problems


def read_tag_table(path: str) -> Tuple[List[TagRow], List[RowProblem]]:
    """A label table's rows and row problems, by its suffix (``.csv``,
    ``.json``); a file that cannot be read as either raises ``ValueError``
    (a missing one ``FileNotFoundError``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label table {path} does not exist')
    suffix = osp.splitext(path)[1].lower()
    if suffix == '.csv':
        return read_csv_table(path)
    if suffix == '.json':
        return read_json_table(path)
    raise ValueError(f'label table {path}: unknown format {suffix!r} (use '
                     f'one of {TABLE_FORMATS})')
