"""Write a tiny COCO-2014-layout tree (images + instance annotations).

The layout is the official download's::

    root/annotations/instances_{train,val}2014.json
    root/train2014/COCO_train2014_{id:012d}.jpg
    root/val2014/COCO_val2014_{id:012d}.jpg

Every image is 8 x 10 (H x W). The objects are fixed so tests can write the
expected masks by hand; a polygon rectangle ``(x0, y0, x1, y1)`` covers
columns x0..x1-1 and rows y0..y1-1 (pycocotools' rasterisation):

==========  =====  =========================================================
split       id     annotations (COCO category id, box, crowd)
==========  =====  =========================================================
train       1      person (1) (0, 0, 4, 4); dog (18) (2, 2, 8, 6), overlaps
train       2      toothbrush (90) (5, 1, 9, 7); crowd car (3) RLE (0, 4, 3, 8)
train       3      none (left out of the id lists)
val         4      stop sign (13) (1, 1, 5, 5)
val         5      none
==========  =====  =========================================================
"""
import json
import os.path as osp
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np

from ..datasets.class_names import COCO_CATEGORY_IDS, COCO_NAMES

HEIGHT, WIDTH = 8, 10

# split -> image id -> list of (category id, (x0, y0, x1, y1), iscrowd)
COCO_FIXTURE_OBJECTS: Dict[str, Dict[int, list]] = {
    'train': {
        1: [(1, (0, 0, 4, 4), 0), (18, (2, 2, 8, 6), 0)],
        2: [(90, (5, 1, 9, 7), 0), (3, (0, 4, 3, 8), 1)],
        3: [],
    },
    'val': {
        4: [(13, (1, 1, 5, 5), 0)],
        5: [],
    },
}


def box_mask(box, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """(H, W) uint8 0/1 of a box (x0, y0, x1, y1), x1 / y1 exclusive."""
    x0, y0, x1, y1 = box
    m = np.zeros((height, width), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's crowd format: column-major run lengths starting with zeros."""
    flat = mask.flatten(order='F')
    counts, value, run = [], 0, 0
    for v in flat:
        if v == value:
            run += 1
        else:
            counts.append(run)
            value, run = v, 1
    counts.append(run)
    return dict(counts=[int(c) for c in counts], size=list(mask.shape))


def make_coco_fixture(root: str, *, seed: int = 0) -> Dict[str, List[int]]:
    """Write the tree above under ``root``; returns split -> image ids."""
    rng = np.random.default_rng(seed)
    root_path = Path(root)
    categories = [
        dict(id=cid, name=name, supercategory='thing')
        for cid, name in zip(COCO_CATEGORY_IDS, COCO_NAMES)
    ]
    (root_path / 'annotations').mkdir(parents=True, exist_ok=True)
    ann_id = 100
    written = {}
    for split, images in COCO_FIXTURE_OBJECTS.items():
        img_dir = root_path / f'{split}2014'
        img_dir.mkdir(parents=True, exist_ok=True)
        img_entries, anns = [], []
        for img_id, objects in images.items():
            file_name = f'COCO_{split}2014_{img_id:012d}.jpg'
            img = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            cv2.imwrite(osp.join(img_dir, file_name), img)
            img_entries.append(
                dict(id=img_id, file_name=file_name, height=HEIGHT,
                     width=WIDTH))
            for cid, box, crowd in objects:
                x0, y0, x1, y1 = box
                if crowd:
                    seg = uncompressed_rle(box_mask(box))
                else:
                    seg = [[x0, y0, x1, y0, x1, y1, x0, y1]]
                anns.append(
                    dict(id=ann_id, image_id=img_id, category_id=cid,
                         segmentation=seg, iscrowd=crowd,
                         area=float((x1 - x0) * (y1 - y0)),
                         bbox=[x0, y0, x1 - x0, y1 - y0]))
                ann_id += 1
        (root_path / 'annotations' / f'instances_{split}2014.json').write_text(
            json.dumps(dict(images=img_entries, annotations=anns,
                            categories=categories)))
        written[split] = list(images)
    return written
