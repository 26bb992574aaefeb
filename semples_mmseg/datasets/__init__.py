"""Weak-label datasets (image-level labels), the pseudo-mask dataset the
second stage trains on, and their transforms."""
from . import transforms  # noqa: F401
from .voc_weak import VOCWeakDataset
from .coco_weak import COCOWeakDataset
from .coco90_weak import COCO90WeakDataset
from .image_tag_dataset import ImageTagDataset
from .pseudo_mask_dataset import PseudoMaskDataset

__all__ = [
    'VOCWeakDataset', 'COCOWeakDataset', 'COCO90WeakDataset',
    'ImageTagDataset', 'PseudoMaskDataset'
]
