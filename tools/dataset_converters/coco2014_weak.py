"""COCO 2014 instance annotations -> the layout COCOWeakDataset reads.

Usage::

    python tools/dataset_converters/coco2014_weak.py \\
        data/coco data/coco/semples \\
        [--id-space 80|90] [--splits train val] [--overlap first|ignore] \\
        [--seed-subset 1250] [--seed 0]

Reads ``COCO_ROOT/annotations/instances_{split}2014.json`` with pycocotools
(the images stay where they are: ``COCO_ROOT/{split}2014/``; they are not
read or copied). Writes, under OUT_DIR only (never into COCO_ROOT's own
folders, never COCO_ROOT itself)::

    OUT_DIR/masks/{split}2014/{stem}.png  uint8 class-index mask (stem = the
                                          image's file stem, e.g.
                                          COCO_train2014_000000000009): 0
                                          background, 1..80 (--id-space 80,
                                          COCO_ID_TO_CONTIGUOUS) or the raw
                                          category id 1..90 (--id-space 90),
                                          255 ignore (crowd, see below)
    OUT_DIR/cls_labels_coco{80|90}.npy    pickled dict stem -> float32 (80,)
                                          or (90,) multi-hot (90: index =
                                          category id - 1), non-crowd
                                          annotations only; entries of earlier
                                          runs for other splits are kept
    OUT_DIR/{split}_ids.txt               stems of the images with at least
                                          one non-crowd object (82081 train,
                                          40137 val on the full download)
    OUT_DIR/val_seed_{N}.txt              a seeded N-image subset of
                                          val_ids.txt (N = --seed-subset,
                                          1250; fewer if val is smaller) for
                                          Seed mIoU (METHOD section 5)

Only listed images get a mask and a label entry.

Masks, pixel by pixel:

- non-crowd instances are painted in the annotation file's order and the
  *first* one to cover a pixel keeps it (``--overlap first``, the rule of the
  reference's masks); ``--overlap ignore`` sets pixels claimed by two
  different categories to 255 instead;
- crowd regions (``iscrowd=1``) are 255 wherever no non-crowd instance covers
  them (a known instance beats an uncertain crowd), and never count as an
  image label.

Memory: one mask at a time (pycocotools holds the json itself).
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from semples_mmseg.datasets.class_names import (COCO_CATEGORY_IDS,
                                                COCO_ID_TO_CONTIGUOUS)
from semples_mmseg.utils.atomic_files import (atomic_path, np_save_atomically,
                                              write_text_atomically)

IGNORE = 255


def _is_inside(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def check_output_dir(coco_root: str, out_dir: str,
                     splits: Sequence[str]) -> None:
    """OUT_DIR must not be the COCO root, nor inside one of its input
    folders (annotations/, {split}2014/, images/)."""
    if osp.realpath(out_dir) == osp.realpath(coco_root):
        raise ValueError(f'output folder {out_dir} is the COCO root itself: '
                         'choose a new folder (e.g. data/coco/semples)')
    inputs = [osp.join(coco_root, 'annotations')] + [
        osp.join(coco_root, f'{s}2014') for s in ('train', 'val')
    ] + [osp.join(coco_root, 'images')]
    for folder in inputs:
        if _is_inside(out_dir, folder):
            raise ValueError(f'output folder {out_dir} is inside the input '
                             f'folder {folder}: nothing is written there')


def class_value_map(id_space: int) -> Dict[int, int]:
    """Raw category id -> value written into masks (label index + 1)."""
    if id_space == 90:
        return {cid: cid for cid in COCO_CATEGORY_IDS}
    if id_space == 80:
        return dict(COCO_ID_TO_CONTIGUOUS)
    raise ValueError(f'--id-space must be 80 or 90, got {id_space!r}')


def label_file_name(id_space: int) -> str:
    return f'cls_labels_coco{id_space}.npy'


def paint_mask(coco, anns: list, height: int, width: int,
               values: Dict[int, int], overlap: str) -> np.ndarray:
    """(H, W) uint8 mask of one image's annotations (rules: module doc)."""
    seg = np.zeros((height, width), np.uint8)
    conflict = np.zeros((height, width), bool)
    crowd_area = np.zeros((height, width), bool)
    for ann in anns:
        m = coco.annToMask(ann).astype(bool)
        if m.shape != (height, width):
            raise ValueError(f"annotation {ann['id']} of image "
                             f"{ann['image_id']} decodes to {m.shape}, "
                             f'image is {(height, width)}')
        if ann.get('iscrowd'):
            crowd_area |= m
            continue
        value = values[ann['category_id']]
        conflict |= m & (seg != 0) & (seg != value)
        seg[m & (seg == 0)] = value
    if overlap == 'ignore':
        seg[conflict] = IGNORE
    seg[crowd_area & (seg == 0)] = IGNORE
    return seg


def write_png(path: str, seg: np.ndarray) -> None:
    """Atomic write: a killed run never leaves a half-written mask."""
    with atomic_path(path) as tmp:
        if not cv2.imwrite(tmp, seg):
            raise OSError(f'cannot write {path}')


def write_lines(path: str, lines: List[str]) -> None:
    write_text_atomically(''.join(line + '\n' for line in lines), path)


def seed_subset(ids: List[str], size: int, seed: int) -> List[str]:
    """``size`` ids drawn without replacement by a seeded generator, in the
    order of ``ids`` (all of them if there are fewer)."""
    if size >= len(ids):
        return list(ids)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(ids), size, replace=False))
    return [ids[i] for i in pick]


def convert_coco2014(coco_root: str,
                     out_dir: str,
                     *,
                     splits: Sequence[str] = ('train', 'val'),
                     id_space: int = 80,
                     overlap: str = 'first',
                     seed_subset_size: int = 1250,
                     seed: int = 0,
                     progress: bool = True) -> Dict[str, List[str]]:
    """Convert; returns list name -> written stems (``'train_ids'``,
    ``'val_ids'``, ``'val_seed_1250'``)."""
    try:
        from pycocotools.coco import COCO
    except ImportError as exc:
        raise ImportError(
            'the COCO converter needs pycocotools: pip install '
            '"semples_mmseg[coco]" (or pip install pycocotools); '
            f'import failed with {exc!r}') from exc
    if not osp.isdir(coco_root):
        raise FileNotFoundError(f'COCO root {coco_root} does not exist')
    if overlap not in ('first', 'ignore'):
        raise ValueError(
            f"--overlap must be 'first' or 'ignore', got {overlap!r}")
    bad = [s for s in splits if s not in ('train', 'val')]
    if bad or not splits:
        raise ValueError(f"--splits must be among 'train', 'val', got "
                         f'{list(splits)!r}')
    values = class_value_map(id_space)
    ann_files = {
        s: osp.join(coco_root, 'annotations', f'instances_{s}2014.json')
        for s in splits
    }
    for path in ann_files.values():
        if not osp.isfile(path):
            raise FileNotFoundError(f'annotation file {path} does not exist')
    check_output_dir(coco_root, out_dir, splits)

    label_path = osp.join(out_dir, label_file_name(id_space))
    labels = {}
    if osp.isfile(label_path):  # keep the entries of other splits' runs
        labels = np.load(label_path, allow_pickle=True).item()
    written = {}
    for split, ann_file in ann_files.items():
        coco = COCO(ann_file)
        unknown = sorted(set(coco.getCatIds()) - set(values))
        if unknown:
            raise ValueError(f'{ann_file}: category ids {unknown} are not '
                             'COCO categories')
        mask_dir = osp.join(out_dir, 'masks', f'{split}2014')
        os.makedirs(mask_dir, exist_ok=True)
        stems = []
        for img_id in tqdm(sorted(coco.getImgIds()), desc=f'{split}2014',
                           unit='img', disable=not progress):
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id, iscrowd=None))
            objects = [a for a in anns if not a.get('iscrowd')]
            if not objects:
                continue
            info = coco.loadImgs(img_id)[0]
            stem = osp.splitext(osp.basename(info['file_name']))[0]
            seg = paint_mask(coco, anns, info['height'], info['width'],
                             values, overlap)
            write_png(osp.join(mask_dir, stem + '.png'), seg)
            vec = np.zeros(id_space, np.float32)
            for ann in objects:
                vec[values[ann['category_id']] - 1] = 1
            labels[stem] = vec
            stems.append(stem)
        write_lines(osp.join(out_dir, f'{split}_ids.txt'), stems)
        written[f'{split}_ids'] = stems
    np_save_atomically(labels, label_path)
    if seed_subset_size and 'val_ids' in written:
        subset = seed_subset(written['val_ids'], seed_subset_size, seed)
        write_lines(
            osp.join(out_dir, f'val_seed_{seed_subset_size}.txt'), subset)
        written[f'val_seed_{seed_subset_size}'] = subset
    return written


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('coco_root', help='folder holding annotations/')
    parser.add_argument('out_dir', help='new folder for masks, labels, lists')
    parser.add_argument('--id-space', type=int, choices=(80, 90), default=80)
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val'])
    parser.add_argument('--overlap', choices=('first', 'ignore'),
                        default='first')
    parser.add_argument('--seed-subset', type=int, default=1250,
                        help='size of val_seed_{N}.txt (0: none)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    written = convert_coco2014(
        args.coco_root, args.out_dir, splits=args.splits,
        id_space=args.id_space, overlap=args.overlap,
        seed_subset_size=args.seed_subset, seed=args.seed)
    for name, stems in written.items():
        print(f'{name}.txt: {len(stems)} images')
    print(f'labels: {osp.join(args.out_dir, label_file_name(args.id_space))}')


if __name__ == '__main__':
    main()
