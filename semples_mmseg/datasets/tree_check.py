"""Verify a prepared data tree in one pass (``tools/analysis_tools/
verify_dataset.py``, ``docs/DATA.md``).

For every split a config reads (``train_dataloader``, ``val_dataloader``,
``test_dataloader``; a SemPLeS stage's own dataset when it reads other
files): the folders and files its dataset class declares exist
(``required_paths``, as the pre-flight checks them), the dataset builds
with its scan on (``datasets/scan.py``: every listed image decodes, masks where the split reads them are
single-channel, of their image's size, values 0..K / 255), every image has
its image-level labels with K entries (K of the dataset and of the CAM
network), every image of a split that needs masks has one, and the number
of images equals the split's known count (the dataset class's
``SPLIT_SIZES``: VOC / COCO 2014; overridable).
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from mmseg.registry import DATASETS, MODELS
from ..utils.preflight import (config_datasets, dataset_class,
                               dataset_inputs, leaf_datasets,
                               pipeline_reads_masks)

SPLITS = ('train', 'val', 'test')
MAX_LISTED = 10


@dataclass
class SplitReport:
    """What was found for one split."""
    split: str
    key: str  # config key of the dataset
    dataset_type: str
    ann_file: str
    data_root: str = ''
    images: Optional[int] = None
    expected: Optional[int] = None
    masks: str = '-'  # 'n/m' when the split needs masks, else 'not read'
    labels: str = '-'
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # reported, not failed
    same_as: Optional[str] = None

    @property
    def ok(self) -> bool:
        return not self.problems


def image_id(info: dict) -> str:
    """A sample's image id: the dataset's ``img_id`` (a path below the image
    folder), else the image's file name without suffix."""
    return info.get('img_id') or osp.splitext(osp.basename(
        info['img_path']))[0]


def expected_count(dataset: dict) -> Optional[int]:
    """The full download's count for this split (``SPLIT_SIZES`` declared
    by the dataset class itself, not inherited), None when not known."""
    sizes = vars(dataset_class(dataset.get('type')) or object).get(
        'SPLIT_SIZES') or {}
    return sizes.get(osp.basename(str(dataset.get('ann_file', ''))))


def config_splits(cfg, which: Sequence[str]) -> Iterator[
        Tuple[str, str, dict, bool]]:
    """(split, config key, dataset dict, evaluated) of the chosen splits;
    a SemPLeS stage's dataset override counts as ``train``."""
    for key, dataset, evaluated in config_datasets(cfg):
        split = key.split('_dataloader')[0] if '_dataloader' in key[:16] \
            else 'train'
        if split not in which:
            continue
        for leaf_key, leaf in leaf_datasets(key, dict(dataset)):
            yield split, leaf_key, leaf, evaluated


def _files_of(dataset: dict) -> tuple:
    """What decides which files a dataset reads: every setting but the
    pipeline, and whether the pipeline reads masks."""
    return tuple(sorted((k, repr(v)) for k, v in dataset.items()
                        if k != 'pipeline')) + (
        pipeline_reads_masks(dataset.get('pipeline')), )


def check_split(split: str, key: str, dataset_cfg: dict, evaluated: bool,
                *, num_classes: Optional[int] = None,
                expected: Optional[int] = None,
                workers: Optional[int] = None) -> SplitReport:
    """Check one split (see the module doc); problems go into the report."""
    report = SplitReport(split, key, str(dataset_cfg.get('type', '?')),
                         str(dataset_cfg.get('ann_file')
                             or dataset_cfg.get('label_file', '?')),
                         str(dataset_cfg.get('data_root', '')))
    report.expected = expected if expected is not None else expected_count(
        dataset_cfg)
    for item in dataset_inputs(dataset_cfg, evaluated=evaluated):
        if '://' not in item.path and not item.exists():
            report.problems.append(f'{key}.{item.key} = {item.path}: '
                                   f'{item.kind} does not exist')
    if report.problems:
        return report
    cfg = dict(dataset_cfg, scan=dict(workers=workers) if workers else True)
    try:
        dataset = DATASETS.build(cfg)
    except Exception as exc:  # the dataset names the files at fault
        lines = getattr(exc, 'problems', None)  # a label table: every row
        report.problems += lines or [f'{type(exc).__name__}: {exc}']
        return report
    table = getattr(dataset, 'table_report', None)  # a label table
    if table is not None:
        report.notes += table.notes
        if table.bad_rows:
            report.notes.append(
                f'{len(table.bad_rows)} row(s) with problems left out, '
                f'listed in {dataset.skip_bad_rows} (skip_bad_rows)')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    report.images = len(infos)
    if report.expected is not None and report.images != report.expected:
        report.problems.append(
            f'{dataset.ann_file} lists {report.images} images, '
            f'{report.expected} expected for this split')
    k = len(dataset.metainfo['classes']) - 1
    label_source = getattr(dataset, 'label_source', None) or (
        'file' if getattr(dataset, 'label_file', None) else 'mask')
    report.labels = f'{label_source}, K={k}'
    if num_classes is not None and num_classes != k:
        report.problems.append(
            f'the dataset has {k} classes, the CAM network '
            f'(model.cam_net.num_classes) {num_classes}')
    bad = [d['img_path'] for d in infos
           if d.get('img_labels') is None
           or np.asarray(d['img_labels']).shape != (k, )]
    if bad:
        report.problems.append(
            f'{len(bad)} image(s) without image labels of {k} classes: '
            + ', '.join(bad[:MAX_LISTED]))
    empty = [d['img_path'] for d in infos if d.get('img_labels') is not None
             and not np.asarray(d['img_labels']).any()]
    if empty:
        report.labels += f', {len(empty)} with no class'
    if table is not None and not bad:
        counts = np.sum([d['img_labels'] for d in infos], axis=0)
        report.notes.append('images per class: ' + ', '.join(
            f'{name} {int(n)}' for name, n in zip(
                dataset.metainfo['classes'][1:], counts)))
    seg_dir = dataset.data_prefix.get('seg_map_path', '')
    if dataset.masks_read() and seg_dir:
        missing = [osp.join(seg_dir, image_id(d) + dataset.seg_map_suffix)
                   for d in infos if d.get('seg_map_path') is None]
        report.masks = f'{len(infos) - len(missing)}/{len(infos)}'
        if missing:
            report.problems.append(
                f'{len(missing)} mask(s) missing (this split reads masks): '
                + ', '.join(missing[:MAX_LISTED])
                + (f' ... and {len(missing) - MAX_LISTED} more'
                   if len(missing) > MAX_LISTED else ''))
    else:
        report.masks = 'not read'
    return report


def verify_tree(cfg, *, splits: Sequence[str] = SPLITS,
                expected: Optional[Dict[str, int]] = None,
                workers: Optional[int] = None) -> List[SplitReport]:
    """A report per split of ``cfg`` in ``splits``; splits that read the
    same files as an earlier one are reported as the same."""
    expected = expected or {}
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f'splits must be among {SPLITS}, got '
                         f'{sorted(unknown)}')
    num_classes = ((cfg.get('model') or {}).get('cam_net') or {}).get(
        'num_classes')
    reports: List[SplitReport] = []
    seen: Dict[tuple, SplitReport] = {}
    for split, key, dataset, evaluated in config_splits(cfg, splits):
        files = _files_of(dataset) + (evaluated, )
        if files in seen:
            first = seen[files]
            if first.split != split:
                reports.append(SplitReport(
                    split, key, first.dataset_type, first.ann_file,
                    same_as=first.split))
            continue
        report = check_split(split, key, dataset, evaluated,
                             num_classes=num_classes,
                             expected=expected.get(split),
                             workers=workers)
        seen[files] = report
        reports.append(report)
    for name, part in (cfg.get('model') or {}).items():
        cls = MODELS.get(part['type']) if isinstance(part, dict) and \
            isinstance(part.get('type'), str) else None
        found = cls.input_problems(part) if hasattr(
            cls, 'input_problems') else []
        if found:  # e.g. class texts that CLIP would truncate
            reports.append(SplitReport('model', f'model.{name}',
                                       part['type'], '-', problems=found))
    return reports


def format_reports(reports: Sequence[SplitReport]) -> str:
    """The one-screen summary: a table, then every problem."""
    rows = [('split', 'dataset', 'id list', 'images', 'expected', 'masks',
             'labels', 'status')]
    for r in reports:
        if r.same_as:
            rows.append((r.split, r.dataset_type, r.ann_file, '', '', '', '',
                         f'same files as {r.same_as}'))
            continue
        rows.append((r.split, r.dataset_type, r.ann_file,
                     '-' if r.images is None else str(r.images),
                     '-' if r.expected is None else str(r.expected),
                     r.masks, r.labels,
                     'ok' if r.ok else f'{len(r.problems)} problem(s)'))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    roots = sorted({r.data_root for r in reports if r.data_root})
    lines = [f'data_root: {root}' for root in roots]
    lines += ['  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
              for row in rows]
    shown: Dict[str, str] = {}  # a problem -> the split it was listed for
    for r in reports:
        again = [p for p in r.problems if p in shown]
        for problem in r.problems:
            if problem not in shown:
                shown[problem] = r.split
                lines.append(f'[{r.split}] {problem}')
        if again:
            lines.append(f'[{r.split}] the {len(again)} problem(s) listed '
                         f'for [{shown[again[0]]}]')
        for note in r.notes:
            if note not in shown:
                shown[note] = r.split
                lines.append(f'[{r.split}] note: {note}')
    return '\n'.join(lines)
