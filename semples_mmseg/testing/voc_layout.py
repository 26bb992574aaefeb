"""Write small VOC-2012-layout trees for tests and examples.

The layout is the one VOC 2012 + SBD ("train_aug") users have on disk::

    root/JPEGImages/{id}.jpg
    root/SegmentationClassAug/{id}.png    uint8, 0 background, 1..K classes, 255 ignore
    root/ImageSets/Segmentation/{split}.txt
    root/cls_labels.npy                   pickled dict id -> float32 (K,) multi-hot
"""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np


def draw_label_map(rng: np.random.Generator, height: int, width: int,
                   class_ids: Sequence[int],
                   ignore_border: bool = True) -> np.ndarray:
    """A (H, W) uint8 map with one axis-aligned box per class id (1-based)."""
    seg = np.zeros((height, width), np.uint8)
    for cid in class_ids:
        h = int(rng.integers(height // 4, height // 2 + 1))
        w = int(rng.integers(width // 4, width // 2 + 1))
        y = int(rng.integers(0, height - h + 1))
        x = int(rng.integers(0, width - w + 1))
        seg[y:y + h, x:x + w] = cid
        if ignore_border:  # VOC marks object boundaries with 255
            seg[y, x:x + w] = 255
    return seg


def render_image(rng: np.random.Generator, seg: np.ndarray,
                 num_classes: int) -> np.ndarray:
    """A (H, W, 3) uint8 BGR image whose colour encodes the class of each pixel."""
    palette = rng.integers(0, 256, size=(num_classes + 1, 3), dtype=np.uint8)
    palette[0] = (90, 90, 90)
    img = palette[np.where(seg == 255, 0, seg)]
    noise = rng.integers(-10, 11, size=img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def make_voc_fixture(root: str,
                     *,
                     num_images: int = 6,
                     num_classes: int = 20,
                     height: int = 64,
                     width: int = 80,
                     max_objects: int = 2,
                     splits: Optional[Dict[str, Sequence[int]]] = None,
                     seg_dir: str = 'SegmentationClassAug',
                     write_label_file: bool = True,
                     seed: int = 0) -> Dict[str, List]:
    """Write a VOC-layout tree under ``root`` and return what was written.

    Args:
        splits: split name -> indices of images in it. Defaults to
            ``train_aug`` = all, ``train`` = first half, ``val`` = second half.

    Returns:
        dict with ``ids`` (list of str) and ``labels`` (list of (K,) float32).
    """
    rng = np.random.default_rng(seed)
    root_path = Path(root)
    for sub in ('JPEGImages', seg_dir, 'ImageSets/Segmentation'):
        (root_path / sub).mkdir(parents=True, exist_ok=True)
    ids, labels = [], []
    for i in range(num_images):
        img_id = f'2007_{i:06d}'
        n_obj = int(rng.integers(1, max_objects + 1))
        class_ids = sorted(
            rng.choice(np.arange(1, num_classes + 1), n_obj, replace=False))
        seg = draw_label_map(rng, height, width, class_ids)
        present = sorted(set(np.unique(seg).tolist()) - {0, 255})
        label = np.zeros(num_classes, np.float32)
        label[np.asarray(present, int) - 1] = 1
        cv2.imwrite(osp.join(root, 'JPEGImages', img_id + '.jpg'),
                    render_image(rng, seg, num_classes))
        cv2.imwrite(osp.join(root, seg_dir, img_id + '.png'), seg)
        ids.append(img_id)
        labels.append(label)
    if splits is None:
        half = max(1, num_images // 2)
        splits = dict(
            train_aug=range(num_images),
            train=range(half),
            val=range(half, num_images))
    for name, idx in splits.items():
        (root_path / 'ImageSets/Segmentation' / f'{name}.txt').write_text(
            ''.join(ids[j] + '\n' for j in idx))
    if write_label_file:
        np.save(osp.join(root, 'cls_labels.npy'), dict(zip(ids, labels)))
    return dict(ids=ids, labels=labels)
