"""A label table against its image folder and class list, every problem at
once.

:func:`check_tag_table` reads the table (``tag_table.py``), lists the image
folder (any tree; hidden files skipped) and returns the images it can use and
every problem, each naming its row:

* images listed but missing (with a file of the same name in another case
  or suffix, when there is one), or not image files;
* unknown class names, with the closest known one (given ``classes``);
  without them the classes are the table's, and names that differ only in
  case, spaces, ``_`` or ``-`` are a problem;
* rows without tags or without an image, duplicate rows (the first row of
  an image is kept), two images whose outputs would share a name
  (``a.jpg`` and ``a.png``: masks are ``{id}.png``);
* images that cannot be decoded (headers, threaded: ``datasets/scan.py``).

Notes that do not stop a run: images in the folder that the table does not
list (a count; ``include_unlisted`` uses them as images that show none of
the classes), classes without any image.
"""
import difflib
import os
import os.path as osp
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .scan import check_image, default_workers
from .tag_table import RowProblem, TagRow, normalize_image_path, \
    read_tag_table

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class TaggedImage:
    """An image the table can use: its id (path below the image folder
    without suffix, ``/``-separated: the name of its mask), file, class
    indices (0-based) and row (``'unlisted'`` for an unlisted image)."""
    img_id: str
    path: str
    labels: Tuple[int, ...]
    where: str
    size: Optional[Tuple[int, int]] = None  # (H, W) when scanned


@dataclass
class TagTableCheck:
    """What :func:`check_tag_table` found."""
    classes: Tuple[str, ...]
    images: List[TaggedImage] = field(default_factory=list)
    problems: List[RowProblem] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    class_counts: Dict[str, int] = field(default_factory=dict)
    unlisted: int = 0

    @property
    def bad_rows(self) -> List[RowProblem]:
        """The problems of single rows (a run may skip those rows)."""
        return [p for p in self.problems if p.where]

    @property
    def table_problems(self) -> List[RowProblem]:
        """The problems of the whole table (no row to skip)."""
        return [p for p in self.problems if not p.where]


def class_key(name: str) -> str:
    """A class name with case, spaces, ``_`` and ``-`` ignored."""
    return re.sub(r'[\s_\-]+', ' ', name).strip().casefold()


def _row_number(problem: RowProblem) -> float:
    """Table problems first, then rows in table order, unlisted last."""
    found = re.match(r'(?:row|entry) (\d+)', problem.where)
    return -1 if not problem.where else int(found[1]) if found else 1e12


def list_images(img_dir: str) -> Tuple[Dict[str, str], int]:
    """(relative ``/`` path -> file for every image below ``img_dir``,
    number of other files). Hidden files and folders are skipped."""
    images, others = {}, 0
    for root, dirs, files in os.walk(img_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in sorted(files):
            if name.startswith('.'):
                continue
            path = osp.join(root, name)
            rel = osp.relpath(path, img_dir).replace(os.sep, '/')
            if osp.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                images[rel] = path
            else:
                others += 1
    return images, others


def _resolve(image: str, listing: Dict[str, str], img_dir: str,
             by_stem: Dict[str, List[str]]) -> Tuple[Optional[str], str]:
    """(relative path of the listed image, '') or (None, why not)."""
    rel = normalize_image_path(image)
    if rel.startswith('../') or rel == '..' or posixpath.isabs(rel):
        return None, f'{image} is not a path below the image folder'
    if rel in listing:
        return rel, ''
    if osp.isfile(osp.join(img_dir, rel)):
        return None, (f'{image} is not an image file (image suffixes: '
                      f"{', '.join(IMAGE_SUFFIXES)})")
    stem, suffix = osp.splitext(rel)
    same_stem = by_stem.get(stem.casefold(), [])
    if not suffix and len(same_stem) == 1:
        return same_stem[0], ''
    if not suffix and len(same_stem) > 1:
        return None, f'{image} matches {len(same_stem)} files: {same_stem}'
    hint = f' (found {same_stem[0]})' if same_stem else ''
    return None, f'{image} does not exist in {img_dir}{hint}'


#: (path, size, mtime) -> a header check's result: a run checks its table
#: in the pre-flight and again per split built; a changed file is redone
_SCANNED: Dict[tuple, Tuple[Optional[Tuple[int, int]], str]] = {}


def _scan(paths: Sequence[str], workers: Optional[int]
          ) -> List[Tuple[Optional[Tuple[int, int]], str]]:
    """(size, '') or (None, why not) per image, decoded in threads."""
    def one(path):
        try:
            stat = os.stat(path)
            key = (path, stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = None
        if key in _SCANNED:
            return _SCANNED[key]
        try:
            result = check_image(path), ''
        except OSError as exc:
            result = None, str(exc)
        if key is not None:
            _SCANNED[key] = result
        return result
    workers = workers or default_workers()
    if workers <= 1 or len(paths) < 64:
        return [one(p) for p in paths]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, paths))


def table_classes(rows: Sequence[TagRow]
                   ) -> Tuple[Tuple[str, ...], List[RowProblem]]:
    """The table's classes (sorted) and the names that differ only in case
    or spacing, as problems naming a row of each spelling."""
    spellings: Dict[str, Dict[str, str]] = {}
    for row in rows:
        for tag in row.tags:
            spellings.setdefault(class_key(tag), {}).setdefault(
                tag, row.where)
    problems = [
        RowProblem('', 'class names that differ only in case or spacing: '
                   + ', '.join(f'{name!r} ({where})'
                               for name, where in found.items())
                   + '; write one of them, or list the classes in the '
                   'config')
        for found in spellings.values() if len(found) > 1]
    return tuple(sorted({t for row in rows for t in row.tags})), problems


def _class_lookup(classes: Sequence[str]) -> Dict[str, int]:
    lookup = {}
    for k, name in enumerate(classes):
        lookup.setdefault(name, k)
        lookup.setdefault(class_key(name), k)
    return lookup


def _unknown(tag: str, classes: Sequence[str]) -> str:
    if ',' in tag:
        return (f"unknown class {tag!r} (tags are separated by ';': "
                f"{';'.join(t.strip() for t in tag.split(','))})")
    folded = {c.casefold(): c for c in classes}
    close = difflib.get_close_matches(tag.casefold(), list(folded), n=1,
                                      cutoff=0.6)
    hint = f' (closest: {folded[close[0]]!r})' if close else ''
    return f'unknown class {tag!r}{hint}'


def check_tag_table(label_file: str,
                    img_dir: str,
                    *,
                    classes: Optional[Sequence[str]] = None,
                    include_unlisted: bool = False,
                    scan: bool = True,
                    workers: Optional[int] = None) -> TagTableCheck:
    """Check ``label_file`` against ``img_dir`` (see the module doc).

    Args:
        classes: the K class names; None: the table's, sorted.
        include_unlisted: images the table does not list become images
            without any class (background only) instead of a note.
        scan: decode every image's header (unreadable files).
        workers: scan threads (default: ``scan.default_workers()``).
    """
    rows, problems = read_tag_table(label_file)
    if not rows and not problems:
        raise ValueError(f'label table {label_file} lists no image')
    if classes is None:
        classes, class_problems = table_classes(rows)
        problems += class_problems
    report = TagTableCheck(classes=tuple(classes), problems=problems)
    listing, others = list_images(img_dir)
    by_stem: Dict[str, List[str]] = {}
    for rel in listing:
        by_stem.setdefault(osp.splitext(rel)[0].casefold(), []).append(rel)
    lookup = _class_lookup(classes)
    first_row: Dict[str, str] = {}  # rel path -> where
    id_owner: Dict[str, Tuple[str, str]] = {}  # img id -> (rel, where)
    candidates: List[Tuple[TagRow, str, Tuple[int, ...]]] = []

    def bad(row: TagRow, message: str) -> None:
        report.problems.append(
            RowProblem(row.where, message, row.image, row.raw_tags))

    for row in rows:
        rel, why = _resolve(row.image, listing, img_dir, by_stem)
        unknown = [t for t in row.tags
                   if t not in lookup and class_key(t) not in lookup]
        messages = [why] if why else []
        messages += [_unknown(t, classes) for t in unknown]
        if not row.tags:
            messages.append('no tags')
        if rel is not None and rel in first_row:
            messages.append(f'{rel} is listed again (first in '
                            f'{first_row[rel]})')
        elif rel is not None:
            first_row[rel] = row.where
            img_id = osp.splitext(rel)[0]
            owner = id_owner.setdefault(img_id, (rel, row.where))
            if owner[0] != rel:
                messages.append(f'{rel} and {owner[0]} ({owner[1]}) would '
                                f'share the mask name {img_id}.png')
        if messages:
            bad(row, '; '.join(messages))
            continue
        labels = tuple(sorted({lookup.get(t, lookup.get(class_key(t)))
                               for t in row.tags}))
        candidates.append((row, rel, labels))

    unlisted = sorted(set(listing) - set(first_row))
    report.unlisted = len(unlisted)
    if unlisted and include_unlisted:
        for rel in unlisted:
            owner = id_owner.setdefault(osp.splitext(rel)[0],
                                        (rel, 'unlisted'))
            if owner[0] == rel:
                candidates.append((TagRow('unlisted', rel, ()), rel, ()))
            else:
                report.notes.append(f'unlisted {rel} left out: {owner[0]} '
                                    f'({owner[1]}) has its mask name')
    elif unlisted:
        report.notes.append(
            f'{len(unlisted)} image(s) in {img_dir} are not in the table '
            f'(e.g. {", ".join(unlisted[:MAX_EXAMPLES])}); '
            'include_unlisted=True uses them as images without any class')
    if others:
        report.notes.append(f'{others} file(s) in {img_dir} are not images '
                            '(by suffix) and are ignored')

    sizes = _scan([listing[rel] for _, rel, _ in candidates], workers) \
        if scan else [(None, '')] * len(candidates)
    counts = [0] * len(classes)
    for (row, rel, labels), (size, why) in zip(candidates, sizes):
        if why:
            bad(row, f'{rel} {why}')
            continue
        for k in labels:
            counts[k] += 1
        report.images.append(TaggedImage(osp.splitext(rel)[0], listing[rel],
                                         labels, row.where, size))
    report.problems.sort(key=_row_number)
    report.class_counts = dict(zip(classes, counts))
    empty = [c for c, n in report.class_counts.items() if n == 0]
    if empty:
        report.notes.append(f'{len(empty)} class(es) have no image: '
                            + ', '.join(map(repr, empty)))
    return report
