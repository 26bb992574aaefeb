"""Write a tiny COCO-2014-layout tree (images + instance annotations).

The layout is the official download's::

    root/annotations/instances_{train,val}2014.json
    root/train2014/COCO_train2014_{id:012d}.jpg
    root/val2014/COCO_val2014_{id:012d}.jpg

Every image is 8 x 10 (H x W), or (8 s) x (10 s) with ``scale=s`` (boxes
scaled alike: bigger images for training runs). The objects are fixed so
tests can write the expected masks by hand; a rectangle
``(x0, y0, x1, y1)`` covers columns x0..x1-1 and rows y0..y1-1 (a polygon
for pycocotools' rasterisation, or an uncompressed RLE for crowd regions,
as in the real files).
``make_coco_fixture(root, num_images=N)`` writes the first N rows:

===  =====  ==  ===========================================================
row  split  id  annotations: category (COCO id) box, in file order
===  =====  ==  ===========================================================
1    train  9   person (1) (0, 0, 4, 4); dog (18) (2, 2, 8, 6) overlaps it
2    val    42  stop sign (13) (1, 1, 5, 5); crowd car (3) (0, 4, 3, 8)
3    train  25  toothbrush (90) (5, 1, 9, 7); hair drier (89) (0, 5, 3, 8)
4    train  30  none
5    val    73  only a crowd: person (1) (0, 0, 10, 8)
6    train  81  person (1) (0, 0, 5, 8); person (1) (3, 0, 8, 8)
===  =====  ==  ===========================================================

Category ids 89 / 90 sit above the ten unused ids, so 80- and 90-id layouts
differ (toothbrush: 80 vs 90).
"""
import json
import os.path as osp
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np

from ..datasets.class_names import COCO_CATEGORY_IDS, COCO_NAMES

HEIGHT, WIDTH = 8, 10

# rows: (split, image id, [(category id, (x0, y0, x1, y1), iscrowd), ...])
COCO_FIXTURE_ROWS = (
    ('train', 9, [(1, (0, 0, 4, 4), 0), (18, (2, 2, 8, 6), 0)]),
    ('val', 42, [(13, (1, 1, 5, 5), 0), (3, (0, 4, 3, 8), 1)]),
    ('train', 25, [(90, (5, 1, 9, 7), 0), (89, (0, 5, 3, 8), 0)]),
    ('train', 30, []),
    ('val', 73, [(1, (0, 0, 10, 8), 1)]),
    ('train', 81, [(1, (0, 0, 5, 8), 0), (1, (3, 0, 8, 8), 0)]),
)


def fixture_stem(split: str, img_id: int) -> str:
    """The official file stem, e.g. ``COCO_train2014_000000000009``."""
    return f'COCO_{split}2014_{img_id:012d}'


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


def make_coco_fixture(root: str,
                      *,
                      num_images: int = 4,
                      scale: int = 1,
                      seed: int = 0) -> Dict[str, Dict[str, List[int]]]:
    """Write the first ``num_images`` rows of the table above under ``root``.

    Both annotation files are always written (a split may have no image).

    Returns:
        split -> {file stem: sorted COCO category ids of its non-crowd
        objects} (an empty list for an image without one), i.e. the
        classes each image is expected to carry.
    """
    if not 1 <= num_images <= len(COCO_FIXTURE_ROWS):
        raise ValueError(f'make_coco_fixture: num_images must be in 1..'
                         f'{len(COCO_FIXTURE_ROWS)}, got {num_images}')
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f'make_coco_fixture: scale must be a positive int, '
                         f'got {scale!r}')
    height, width = HEIGHT * scale, WIDTH * scale
    rng = np.random.default_rng(seed)
    root_path = Path(root)
    categories = [
        dict(id=cid, name=name, supercategory='thing')
        for cid, name in zip(COCO_CATEGORY_IDS, COCO_NAMES)
    ]
    (root_path / 'annotations').mkdir(parents=True, exist_ok=True)
    files = {s: dict(images=[], annotations=[]) for s in ('train', 'val')}
    expected = {s: {} for s in ('train', 'val')}
    ann_id = 100
    for split, img_id, objects in COCO_FIXTURE_ROWS[:num_images]:
        img_dir = root_path / f'{split}2014'
        img_dir.mkdir(parents=True, exist_ok=True)
        stem = fixture_stem(split, img_id)
        img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(img_dir, stem + '.jpg'), img)
        files[split]['images'].append(
            dict(id=img_id, file_name=stem + '.jpg', height=height,
                 width=width))
        for cid, box, crowd in objects:
            box = tuple(v * scale for v in box)
            x0, y0, x1, y1 = box
            if crowd:
                seg = uncompressed_rle(box_mask(box, height, width))
            else:
                seg = [[x0, y0, x1, y0, x1, y1, x0, y1]]
            files[split]['annotations'].append(
                dict(id=ann_id, image_id=img_id, category_id=cid,
                     segmentation=seg, iscrowd=crowd,
                     area=float((x1 - x0) * (y1 - y0)),
                     bbox=[x0, y0, x1 - x0, y1 - y0]))
            ann_id += 1
        expected[split][stem] = sorted(
            {cid for cid, _, crowd in objects if not crowd})
    for split, content in files.items():
        path = root_path / 'annotations' / f'instances_{split}2014.json'
        path.write_text(json.dumps(dict(categories=categories, **content)))
    return expected
