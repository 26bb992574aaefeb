"""One image's region masks (SAM's or superpixels) and their compact file.

:class:`RegionMasks` holds S boolean masks of one (H, W) image with a level
per mask (SAM's multimask output: 0 sub-part, 1 part, 2 whole object), the
model's predicted IoU and stability score, and the box of each mask.
:func:`save_region_masks` writes it as ``{id}.npz`` (deflate-compressed):
the masks bit-packed row by row (``np.packbits`` over H * W), so a file
takes about S * H * W / 8 bytes before compression and a few tens of kB
after (masks are mostly zeros). Files are written atomically, so a killed
run leaves none half-written.
"""
import os.path as osp
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..utils.atomic_files import atomic_path

KEYS = ('image_size', 'packed_masks', 'levels', 'predicted_iou',
        'stability_score', 'boxes')


@dataclass
class RegionMasks:
    """S region masks of one image.

    Attributes:
        masks: (S, H, W) bool.
        levels: (S,) uint8 level of each mask (higher = larger whole).
        predicted_iou: (S,) float32, SAM's own quality estimate (1 for
            regions without one).
        stability_score: (S,) float32 (1 for regions without one).
        boxes: (S, 4) float32 XYWH box around each mask.
    """
    masks: np.ndarray
    levels: np.ndarray
    predicted_iou: np.ndarray
    stability_score: np.ndarray
    boxes: np.ndarray

    def __post_init__(self) -> None:
        self.masks = np.asarray(self.masks, bool)
        if self.masks.ndim != 3:
            raise ValueError(
                f'masks must be (S, H, W), got {self.masks.shape}')
        s = len(self.masks)
        self.levels = np.asarray(self.levels, np.uint8).reshape(s)
        self.predicted_iou = np.asarray(self.predicted_iou,
                                        np.float32).reshape(s)
        self.stability_score = np.asarray(self.stability_score,
                                          np.float32).reshape(s)
        self.boxes = np.asarray(self.boxes, np.float32).reshape(s, 4)

    @property
    def image_size(self) -> Tuple[int, int]:
        return tuple(self.masks.shape[1:])

    def __len__(self) -> int:
        return len(self.masks)

    @classmethod
    def from_masks(cls, masks: np.ndarray, levels: Sequence[int]) -> \
            'RegionMasks':
        """Regions without model scores (e.g. superpixels): scores 1, the
        boxes computed from the masks."""
        masks = np.asarray(masks, bool)
        ones = np.ones(len(masks), np.float32)
        return cls(masks=masks, levels=levels, predicted_iou=ones,
                   stability_score=ones, boxes=mask_boxes_xywh(masks))

    @classmethod
    def from_records(cls, records: List[Dict],
                     image_size: Tuple[int, int]) -> 'RegionMasks':
        """From ``SamAutomaticMaskGenerator``-style records with a ``level``
        key and ``output_mode='binary_mask'`` segmentations."""
        h, w = image_size
        masks = np.zeros((len(records), h, w), bool)
        for i, record in enumerate(records):
            masks[i] = record['segmentation']
        return cls(masks=masks,
                   levels=[r['level'] for r in records],
                   predicted_iou=[r['predicted_iou'] for r in records],
                   stability_score=[r['stability_score'] for r in records],
                   boxes=np.asarray([r['bbox'] for r in records],
                                    np.float32).reshape(-1, 4))


def mask_boxes_xywh(masks: np.ndarray) -> np.ndarray:
    """(S, H, W) bool -> (S, 4) float32 XYWH boxes (SAM's convention: x0,
    y0, x1 - x0, y1 - y0 with x1, y1 the last covered column and row; all 0
    for an empty mask)."""
    boxes = np.zeros((len(masks), 4), np.float32)
    rows, cols = masks.any(2), masks.any(1)
    for i in np.flatnonzero(rows.any(1)):
        y = np.flatnonzero(rows[i])
        x = np.flatnonzero(cols[i])
        boxes[i] = (x[0], y[0], x[-1] - x[0], y[-1] - y[0])
    return boxes


def save_region_masks(regions: RegionMasks, path: str) -> None:
    """Write ``regions`` to ``path`` (``.npz``), atomically."""
    s, h, w = regions.masks.shape
    arrays = dict(
        image_size=np.asarray((h, w), np.int64),
        packed_masks=np.packbits(regions.masks.reshape(s, h * w), axis=1),
        levels=regions.levels,
        predicted_iou=regions.predicted_iou,
        stability_score=regions.stability_score,
        boxes=regions.boxes)
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez_compressed(f, **arrays)


def region_file_image_size(path: str) -> Tuple[int, int]:
    """The (H, W) a region file was made for (reads only that entry)."""
    with np.load(path) as data:
        return tuple(int(v) for v in data['image_size'])


def load_region_masks(path: str) -> RegionMasks:
    """Read a file of :func:`save_region_masks`; a file that lacks a key
    or whose arrays disagree raises ``ValueError`` naming it."""
    with np.load(path) as data:
        missing = [k for k in KEYS if k not in data.files]
        if missing:
            raise ValueError(f'{path}: not a region mask file (no {missing})')
        h, w = (int(v) for v in data['image_size'])
        packed = data['packed_masks']
        s = len(packed)
        if packed.shape != (s, (h * w + 7) // 8):
            raise ValueError(f'{path}: packed masks {packed.shape} do not '
                             f'fit image size {(h, w)}')
        masks = np.unpackbits(packed, axis=1, count=h * w).view(bool)
        return RegionMasks(
            masks=masks.reshape(s, h, w),
            levels=data['levels'],
            predicted_iou=data['predicted_iou'],
            stability_score=data['stability_score'],
            boxes=data['boxes'])


def region_file_complete(path: str) -> bool:
    """The file exists and is a whole zip archive (a kill mid-write leaves
    only a temporary name, but an older partial copy would fail here)."""
    if not osp.isfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return set(KEYS) <= {osp.splitext(n)[0]
                                 for n in archive.namelist()}
    except (OSError, zipfile.BadZipFile):
        return False
