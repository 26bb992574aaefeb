"""Image-level labels: the reference's label files, or derived from masks."""
import os.path as osp
from typing import Dict, List, Optional

import mmcv
import numpy as np
from mmengine import fileio


def read_id_list(path: str) -> List[str]:
    """Image ids of a split file (one per line; a path or '.jpg' suffix is cut)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'id list {path} does not exist')
    ids = []
    for line in fileio.get_text(path).splitlines():
        line = line.strip()
        if line:
            ids.append(osp.splitext(osp.basename(line.split()[0]))[0])
    if not ids:
        raise ValueError(f'id list {path} is empty')
    return ids


def read_label_file(path: str, num_classes: int) -> Dict[str, np.ndarray]:
    """The reference format: a pickled dict id -> float32 (K,) multi-hot.

    Keys may carry ``.jpg``; every vector must have length K.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file {path} does not exist')
    raw = np.load(path, allow_pickle=True)
    if raw.dtype != object or raw.shape != ():
        raise ValueError(f'label file {path} is not a pickled dict '
                         '(id -> multi-hot vector)')
    labels = {}
    for key, vec in raw.item().items():
        vec = np.asarray(vec, dtype=np.float32).reshape(-1)
        img_id = osp.splitext(str(key))[0]
        if vec.shape[0] != num_classes:
            raise ValueError(f'label file {path}: id {img_id} has a vector '
                             f'of length {vec.shape[0]}, expected '
                             f'{num_classes}')
        labels[img_id] = vec
    return labels


def load_label_map(path: str) -> np.ndarray:
    """A (H, W) uint8 class-index PNG (palette PNGs give their indices)."""
    try:
        return mmcv.imfrombytes(
            fileio.get(path), flag='unchanged',
            backend='pillow').squeeze().astype(np.uint8)
    except Exception as exc:
        raise OSError(f'cannot read mask {path}: {exc}') from exc


def check_label_map(seg: np.ndarray, num_classes: int, path: str) -> None:
    """Values must be 0 (background), 1..K, or 255 (ignore)."""
    values = np.unique(seg)
    bad = values[(values > num_classes) & (values != 255)]
    if bad.size:
        raise ValueError(f'mask {path} has values {bad.tolist()} outside '
                         f'0..{num_classes} and 255')


def apply_raw_label_map(seg: np.ndarray, label_map: Dict[int, int],
                        path: str) -> np.ndarray:
    """Map raw mask values to labels (COCO 90-id layout -> 1..80).

    Raw values must be 0, 255 or a key of ``label_map``; anything else
    (e.g. an unused COCO id) is an error naming the file.
    """
    lut = np.full(256, -1, np.int16)
    lut[0], lut[255] = 0, 255
    for raw, label in label_map.items():
        lut[int(raw)] = int(label)
    mapped = lut[seg]
    if (mapped < 0).any():
        bad = np.unique(seg[mapped < 0])
        raise ValueError(f'mask {path} has raw values {bad.tolist()} that '
                         'are neither 0, 255 nor a known category id')
    return mapped.astype(np.uint8)


def labels_from_mask(path: str, num_classes: int,
                     label_map: Optional[Dict[int, int]] = None) -> np.ndarray:
    """(K,) multi-hot of the classes present in a mask (0 and 255 ignored).

    ``label_map`` maps raw mask values to labels first (COCO 90-id layout).
    """
    seg = load_label_map(path)
    if label_map is not None:
        seg = apply_raw_label_map(seg, label_map, path)
    check_label_map(seg, num_classes, path)
    present = np.unique(seg)
    present = present[(present > 0) & (present != 255)]
    vec = np.zeros(num_classes, np.float32)
    vec[present.astype(int) - 1] = 1
    return vec
