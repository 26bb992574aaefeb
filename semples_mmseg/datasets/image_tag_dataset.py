"""Your own images and tags: a folder of images and a label table."""
import csv
import dataclasses
import hashlib
import io
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from mmseg.registry import DATASETS
from ..utils.atomic_files import atomic_path
from ..utils.preflight import InputPath, join_root, pipeline_reads_masks
from .label_palette import label_palette
from .scan import ScanItem, scan_files
from .tag_table import read_tag_table
from .tag_table_check import TagTableCheck, check_tag_table, table_classes
from .weak_seg_dataset import WeakLabelSegDataset

SUBSETS = ('all', 'train', 'held_out')
MAX_LISTED = 50


class TagTableError(ValueError):
    """A label table with problems; ``problems`` holds every line."""

    def __init__(self, label_file: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - MAX_LISTED
        super().__init__(
            f'label table {label_file}: {len(self.problems)} problem(s) '
            '(fix them, or set skip_bad_rows=FILE to leave those rows out '
            'and list them in FILE):\n  ' +
            '\n  '.join(self.problems[:MAX_LISTED]) +
            (f'\n  ... and {more} more (tools/analysis_tools/'
             'verify_dataset.py lists all)' if more > 0 else ''))


def held_out_share(img_id: str) -> float:
    """A fixed number in [0, 1) per image id (SHA-1 of the id): an image
    stays in its subset when rows are added or removed."""
    return int(hashlib.sha1(img_id.encode()).hexdigest()[:8], 16) / 2**32


def class_texts(classes: Sequence[str],
                clip_texts: Union[None, dict, Sequence[str]]) -> tuple:
    """The K texts CLIP reads for the classes: ``clip_texts`` per class (a
    dict of some classes, or a list of K), else the class name."""
    if clip_texts is None:
        return tuple(classes)
    if isinstance(clip_texts, dict):
        unknown = sorted(set(clip_texts) - set(classes))
        if unknown:
            raise ValueError(f'clip_texts names classes that are not in '
                             f'classes: {unknown}')
        return tuple(clip_texts.get(c, c) for c in classes)
    if len(clip_texts) != len(classes):
        raise ValueError(f'clip_texts has {len(clip_texts)} texts for '
                         f'{len(classes)} classes')
    return tuple(clip_texts)


def full_palette(palette: Optional[Sequence], num_classes: int) -> list:
    """K + 1 colours (background first): ``palette`` of K + 1, or of K
    (background black), or None (``label_palette``)."""
    if palette is None:
        return label_palette(num_classes + 1)
    palette = [list(c) for c in palette]
    if len(palette) == num_classes:
        palette = [[0, 0, 0]] + palette
    if len(palette) != num_classes + 1 or any(
            len(c) != 3 or not all(0 <= v <= 255 for v in c)
            for c in palette):
        raise ValueError(f'palette must be {num_classes} or '
                         f'{num_classes + 1} RGB triples 0..255, got '
                         f'{palette}')
    return palette


@DATASETS.register_module()
class ImageTagDataset(WeakLabelSegDataset):
    """A folder of images (any tree) and a label table of their tags.

    The table (``tag_table.py``) is a CSV ``image,labels`` with ``;``
    between tags, or a JSON ``{"image": ["tag", ...]}``. An image's id is its
    path below ``img_dir`` without suffix (``day1/IMG_0001``): its mask is
    ``{mask_dir}/{id}.png``, its pseudo mask ``{out_dir}/{id}.png``. Masks are
    optional: given, they are read for evaluation (a metric, a pipeline that
    loads annotations) or, with ``masks_required``, to train a segmentation
    model on pseudo masks. The table is checked when the dataset is built
    (``tag_table_check.py``: every problem at once, each naming its row);
    a table with problems is an error unless ``skip_bad_rows`` names a file
    that receives the rows left out. ``subset`` picks the images of a split
    by a fixed hash of their id: ``'held_out'`` (``held_out`` of them, for
    label-free model selection), ``'train'`` (the rest) or ``'all'``.

    Args:
        data_root: folder the other paths are relative to.
        img_dir: the image folder.
        label_file: the label table (``.csv`` or ``.json``).
        classes: the K class names; None: the table's, sorted.
        clip_texts: the text CLIP reads for a class in ``'a photo of
            {}.'``: a dict class -> text (others keep their name) or K texts.
        palette: K (+ background) RGB colours; None: VOC's colour map.
        mask_dir: a folder of masks (``{id}.png``: 0 background, k + 1 for
            class k, 255 ignore).
        only_with_masks: keep only the images that have a mask (evaluation
            on the annotated part of the folder).
        subset: ``'all'``, ``'train'`` or ``'held_out'``.
        held_out: share of the images in the held-out subset.
        include_unlisted: images the table does not list are used as images
            without any class (background only).
        skip_bad_rows: leave rows with problems out and write them (CSV:
            row, image, labels, problem) to this file.
    """

    LAYOUT = 'a folder of images and a label table (docs/CUSTOM_DATA.md)'

    @classmethod
    def labels_from_masks(cls, cfg: dict) -> bool:
        return False

    @classmethod
    def required_paths(cls, cfg: dict, *,
                       evaluated: bool = False) -> List[InputPath]:
        """``data_root``, ``img_dir``, ``label_file`` and, when the split
        reads them, ``mask_dir``."""
        root = cfg.get('data_root')
        paths = [
            InputPath('data_root', osp.expanduser(str(root or '')), 'dir',
                      cls.LAYOUT),
            InputPath('img_dir', join_root(root, cfg.get('img_dir')), 'dir',
                      'the image folder'),
            InputPath('label_file', join_root(root, cfg.get('label_file')),
                      'file', 'the label table: CSV image,labels or JSON '
                      '{"image": ["tag", ...]}'),
        ]
        if cfg.get('mask_dir') and (
                evaluated or cfg.get('masks_required')
                or pipeline_reads_masks(cfg.get('pipeline'))):
            paths.append(InputPath(
                'mask_dir', join_root(root, cfg['mask_dir']), 'dir',
                'the mask folder ({id}.png)'))
        return [p for p in paths if p.path]

    @classmethod
    def input_problems(cls, cfg: dict) -> List[str]:
        """Every problem of the table a config of the class reads, without
        building the dataset (the pre-flight and verify_dataset.py)."""
        root = cfg.get('data_root')
        unset = [k for k in ('img_dir', 'label_file') if not cfg.get(k)]
        if unset:
            return [f"{' and '.join(unset)} not set"]
        try:
            report = check_tag_table(
                join_root(root, cfg['label_file']),
                join_root(root, cfg['img_dir']),
                classes=cfg.get('classes'),
                include_unlisted=bool(cfg.get('include_unlisted')),
                scan=cfg.get('scan', True) is not False)
            texts = class_texts(report.classes, cfg.get('clip_texts'))
            full_palette(cfg.get('palette'), len(texts))
        except (OSError, ValueError) as exc:
            return [str(exc)]
        problems = report.table_problems if cfg.get('skip_bad_rows') \
            else report.problems
        return [str(p) for p in problems]

    def __init__(self,
                 *,
                 data_root: str,
                 img_dir: str,
                 label_file: str,
                 classes: Optional[Sequence[str]] = None,
                 clip_texts: Union[None, dict, Sequence[str]] = None,
                 palette: Optional[Sequence] = None,
                 mask_dir: Optional[str] = None,
                 only_with_masks: bool = False,
                 subset: str = 'all',
                 held_out: float = 0.1,
                 include_unlisted: bool = False,
                 skip_bad_rows: Optional[str] = None,
                 ann_file: str = '',
                 **kwargs) -> None:
        for key, use in (('data_prefix', 'img_dir / mask_dir'),
                         ('metainfo', 'classes / palette / clip_texts')):
            if key in kwargs:
                raise TypeError(f'ImageTagDataset takes {use}, not {key}')
        if ann_file:
            raise TypeError('ImageTagDataset lists its images in '
                            f'label_file, not ann_file ({ann_file!r})')
        if (kwargs.get('masks_required') or only_with_masks) and \
                not mask_dir:
            raise ValueError('masks_required / only_with_masks need '
                             'mask_dir')
        if subset not in SUBSETS:
            raise ValueError(f'subset must be one of {SUBSETS}, got '
                             f'{subset!r}')
        if not 0 <= held_out < 1:
            raise ValueError(f'held_out must be in [0, 1), got {held_out}')
        self.table_path = join_root(data_root, label_file)
        self.classes_from_table = classes is None
        if classes is None:
            classes = table_classes(read_tag_table(self.table_path)[0])[0]
        self.subset, self.held_out = subset, held_out
        self.include_unlisted = include_unlisted
        self.only_with_masks = only_with_masks
        self.skip_bad_rows = skip_bad_rows
        self.label_source = 'table'
        texts = class_texts(classes, clip_texts)
        metainfo = dict(classes=('background', *classes),
                        palette=full_palette(palette, len(classes)),
                        prompt_classes=texts)
        super().__init__(
            ann_file='', data_root=data_root, label_file=label_file,
            metainfo=metainfo,
            data_prefix=dict(img_path=img_dir, **(
                {'seg_map_path': mask_dir} if mask_dir else {})),
            **kwargs)

    def in_subset(self, img_id: str) -> bool:
        if self.subset == 'all':
            return True
        held = held_out_share(img_id) < self.held_out
        return held == (self.subset == 'held_out')

    def check_table(self) -> TagTableCheck:
        """The table against the folder (``check_tag_table``)."""
        return check_tag_table(
            self.table_path, self.data_prefix['img_path'],
            classes=None if self.classes_from_table else
            self.metainfo['classes'][1:],
            include_unlisted=self.include_unlisted,
            scan=self.scan is not False,
            workers=self.scan.get('workers') if isinstance(self.scan, dict)
            else None)

    def load_data_list(self) -> List[dict]:
        report = self.check_table()
        if report.table_problems or (report.problems
                                     and not self.skip_bad_rows):
            raise TagTableError(self.table_path,
                                [str(p) for p in report.problems])
        for note in report.notes:
            print_log(f'{self.table_path}: {note}', logger='current',
                      level=logging.WARNING)
        if report.problems:
            self.write_skipped_rows(report)
        seg_dir = self.data_prefix.get('seg_map_path', '')
        data_list, no_mask = [], []
        for image in report.images:
            if not self.in_subset(image.img_id):
                continue
            seg = osp.join(seg_dir, image.img_id + self.seg_map_suffix) \
                if seg_dir else None
            if seg is not None and not osp.isfile(seg):
                no_mask.append(seg)
                seg = None
            if seg is None and self.only_with_masks:
                continue
            vec = np.zeros(len(report.classes), np.float32)
            vec[list(image.labels)] = 1
            info = dict(img_path=image.path, seg_map_path=seg,
                        img_labels=vec, img_id=image.img_id,
                        tag_row=image.where, label_map=None,
                        reduce_zero_label=False, seg_fields=[])
            if image.size is not None:
                info['scan_shape'] = image.size
            data_list.append(info)
        if not data_list:
            with_masks = f' with a mask in {seg_dir}' \
                if self.only_with_masks else ''
            raise ValueError(f'{self.table_path}: the {self.subset!r} subset '
                             f'(held_out={self.held_out}) has no image'
                             f'{with_masks}')
        if no_mask and self.masks_required:
            raise FileNotFoundError(
                f'{len(no_mask)} image(s) of {self.table_path} have no mask '
                f'(masks_required): ' + ', '.join(no_mask[:MAX_LISTED]))
        if seg_dir and self.masks_read() and self.scan is not False:
            scan_files([ScanItem(d['img_path'], d['seg_map_path'])
                        for d in data_list if d['seg_map_path']],
                       num_classes=len(report.classes),
                       source=f'ImageTagDataset ({seg_dir})')
        # kept for verify_dataset.py's notes; the samples are in data_list
        self.table_report = dataclasses.replace(report, images=[])
        return data_list

    def write_skipped_rows(self, report: TagTableCheck) -> None:
        """The rows left out, as CSV (row, image, labels, problem)."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(('row', 'image', 'labels', 'problem'))
        for p in report.bad_rows:
            writer.writerow((p.where, p.image, p.raw_tags, p.message))
        path = osp.expanduser(self.skip_bad_rows)
        mkdir_or_exist(osp.dirname(osp.abspath(path)))
        with atomic_path(path) as tmp:
            with open(tmp, 'w', encoding='utf-8', newline='') as f:
                f.write(text.getvalue())
        print_log(f'{self.table_path}: {len(report.bad_rows)} row(s) with '
                  f'problems left out (skip_bad_rows), listed in {path}',
                  logger='current', level=logging.WARNING)
