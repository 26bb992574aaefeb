"""COCO 2014 instance annotations -> the weak-label layout COCOWeakDataset reads.

Usage::

    python tools/dataset_converters/coco2014_weak.py data/coco data/coco/voc_format \\
        [--id-space 80|90] [--splits train val] [--crowd class|ignore] \\
        [--overlap first|ignore] [--subset 1250] [--seed 0]

Reads ``COCO_ROOT/annotations/instances_{split}2014.json`` (images are not
read or copied). Writes, under OUT only (never into the input folders)::

    OUT/class_labels/{id:012d}.png   uint8 class-index mask: 0 background,
                                     1..80 (--id-space 80) or the raw COCO id
                                     (--id-space 90, the reference's files),
                                     255 ignore (see --crowd / --overlap)
    OUT/cls_labels.npy               pickled dict id -> float32 (80,) or (90,)
                                     multi-hot (90: index = raw id - 1), all
                                     splits of this run
    OUT/{split}.txt                  ids of the images with >= 1 annotation
    OUT/train_{N}.txt                --subset N train ids (seeded sample)

Masks: annotations are painted in the file's order and the first one to
cover a pixel keeps it (``--overlap first``, as the reference's masks);
``--overlap ignore`` sets pixels claimed by two different categories to
255. Crowd regions get their class (``--crowd class``, as the reference)
or 255 (``--crowd ignore``). Image labels count every annotation, crowd
included.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, Sequence

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from semples_mmseg.datasets.class_names import COCO_CATEGORY_IDS

IGNORE = 255


def _is_inside(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def check_output_dir(coco_root: str, out_dir: str,
                     splits: Sequence[str]) -> None:
    """OUT must not be the COCO root, nor inside an input folder."""
    if osp.realpath(out_dir) == osp.realpath(coco_root):
        raise ValueError(f'output folder {out_dir} is the COCO root itself: '
                         'choose a new subfolder (e.g. voc_format)')
    inputs = [osp.join(coco_root, 'annotations')] + [
        osp.join(coco_root, f'{s}2014') for s in splits
    ] + [osp.join(coco_root, 'images')]
    for folder in inputs:
        if _is_inside(out_dir, folder):
            raise ValueError(f'output folder {out_dir} is inside the input '
                             f'folder {folder}: nothing is written there')


def class_value_map(id_space: int) -> Dict[int, int]:
    """Raw category id -> value written into masks / label index + 1."""
    if id_space == 90:
        return {cid: cid for cid in COCO_CATEGORY_IDS}
    if id_space == 80:
        return {cid: i + 1 for i, cid in enumerate(COCO_CATEGORY_IDS)}
    raise ValueError(f'--id-space must be 80 or 90, got {id_space!r}')


def paint_mask(coco, anns: list, height: int, width: int,
               values: Dict[int, int], crowd: str, overlap: str) -> np.ndarray:
    """(H, W) uint8 mask of one image's annotations."""
    seg = np.zeros((height, width), np.uint8)
    conflict = np.zeros((height, width), bool)
    crowd_area = np.zeros((height, width), bool)
    for ann in anns:
        value = values[ann['category_id']]
        m = coco.annToMask(ann).astype(bool)
        if m.shape != (height, width):
            raise ValueError(f"annotation {ann['id']} of image "
                             f"{ann['image_id']} decodes to {m.shape}, "
                             f'image is {(height, width)}')
        if ann.get('iscrowd') and crowd == 'ignore':
            crowd_area |= m
            continue
        conflict |= m & (seg != 0) & (seg != value)
        seg[m & (seg == 0)] = value
    if overlap == 'ignore':
        seg[conflict] = IGNORE
    seg[crowd_area] = IGNORE
    return seg


def write_png(path: str, seg: np.ndarray) -> None:
    """Atomic write: a killed run never leaves a half-written mask."""
    tmp = path[:-4] + '.tmp.png'
    if not cv2.imwrite(tmp, seg):
        raise OSError(f'cannot write {tmp}')
    os.replace(tmp, path)


def convert_coco2014(coco_root: str,
                     out_dir: str,
                     *,
                     splits: Sequence[str] = ('train', 'val'),
                     id_space: int = 80,
                     crowd: str = 'class',
                     overlap: str = 'first',
                     subset: int = 1250,
                     seed: int = 0) -> Dict[str, list]:
    """Convert; returns split -> list of written ids (12-digit strings)."""
    from pycocotools.coco import COCO
    if not osp.isdir(coco_root):
        raise FileNotFoundError(f'COCO root {coco_root} does not exist')
    if crowd not in ('class', 'ignore'):
        raise ValueError(f"--crowd must be 'class' or 'ignore', got {crowd!r}")
    if overlap not in ('first', 'ignore'):
        raise ValueError(
            f"--overlap must be 'first' or 'ignore', got {overlap!r}")
    values = class_value_map(id_space)
    ann_files = {
        s: osp.join(coco_root, 'annotations', f'instances_{s}2014.json')
        for s in splits
    }
    for path in ann_files.values():
        if not osp.isfile(path):
            raise FileNotFoundError(f'annotation file {path} does not exist')
    check_output_dir(coco_root, out_dir, splits)
    mask_dir = osp.join(out_dir, 'class_labels')
    os.makedirs(mask_dir, exist_ok=True)

    labels, written = {}, {}
    for split, ann_file in ann_files.items():
        coco = COCO(ann_file)
        unknown = sorted(set(coco.getCatIds()) - set(values))
        if unknown:
            raise ValueError(f'{ann_file}: category ids {unknown} are not '
                             'COCO categories')
        img_ids = sorted(coco.getImgIds())
        ids = []
        print(f'{split}: {len(img_ids)} images -> {mask_dir}')
        bar = ProgressBar(len(img_ids), file=sys.stdout)
        for img_id in img_ids:
            bar.update()
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id, iscrowd=None))
            if not anns:
                continue
            info = coco.loadImgs(img_id)[0]
            name = f'{img_id:012d}'
            seg = paint_mask(coco, anns, info['height'], info['width'],
                             values, crowd, overlap)
            write_png(osp.join(mask_dir, name + '.png'), seg)
            vec = np.zeros(id_space, np.float32)
            for ann in anns:
                vec[values[ann['category_id']] - 1] = 1
            labels[name] = vec
            ids.append(name)
        sys.stdout.write('\n')
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            f.writelines(i + '\n' for i in ids)
        written[split] = ids
    np.save(osp.join(out_dir, 'cls_labels.npy'), labels)
    if subset and 'train' in written:
        train = written['train']
        rng = np.random.default_rng(seed)
        pick = sorted(rng.choice(len(train), min(subset, len(train)),
                                 replace=False).tolist())
        with open(osp.join(out_dir, f'train_{subset}.txt'), 'w') as f:
            f.writelines(train[i] + '\n' for i in pick)
        written[f'train_{subset}'] = [train[i] for i in pick]
    return written


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('coco_root', help='folder holding annotations/')
    parser.add_argument('out_dir', help='new folder for masks, labels, lists')
    parser.add_argument('--id-space', type=int, choices=(80, 90), default=80)
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val'])
    parser.add_argument('--crowd', choices=('class', 'ignore'),
                        default='class')
    parser.add_argument('--overlap', choices=('first', 'ignore'),
                        default='first')
    parser.add_argument('--subset', type=int, default=1250,
                        help='also write train_{N}.txt (0: no subset)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    written = convert_coco2014(
        args.coco_root, args.out_dir, splits=args.splits,
        id_space=args.id_space, crowd=args.crowd, overlap=args.overlap,
        subset=args.subset, seed=args.seed)
    for split, ids in written.items():
        print(f'{split}.txt: {len(ids)} ids')


if __name__ == '__main__':
    main()
