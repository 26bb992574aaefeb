"""COCO 2014 in the reference's 90-id space: K = 90, unused ids included."""
import numpy as np

from mmseg.registry import DATASETS
from .class_names import (COCO90_CLASSES, COCO90_PROMPT_NAMES,
                          distinct_palette)
from .coco_weak import COCOWeakDataset


@DATASETS.register_module()
class COCO90WeakDataset(COCOWeakDataset):
    """COCO as WeakTr / SemPLeS count it: class k is raw category id k.

    Files as ``tools/dataset_converters/coco2014_weak.py --id-space 90``
    writes them (masks 0 / category id / 255, label vectors (90,) indexed by
    id - 1); nothing is remapped. The model sees K = 90 classes, the ten
    unused ids (12 'street sign', 26 'hat', ...) among them, as the official
    WeakTr COCO checkpoint (90 class tokens) and the reference's 90 CLIP
    prompt names expect. In the seed mIoU (91 classes with background) an
    unused id never occurs in GT nor in predictions (its label is never
    set), so its IoU is NaN and drops out of the mean, as in the reference's
    ``evaluation.py --num_classes 91``.

    Args: as :class:`COCOWeakDataset`; ``id_space`` is always 90.
    """

    METAINFO = dict(
        classes=COCO90_CLASSES,
        palette=distinct_palette(len(COCO90_CLASSES)),
        prompt_classes=COCO90_PROMPT_NAMES)
    SPLIT_SIZES = COCOWeakDataset.SPLIT_SIZES  # the same download

    def __init__(self, *, id_space: int = 90, **kwargs) -> None:
        if id_space != 90:
            raise ValueError('COCO90WeakDataset reads 90-id files only; got '
                             f'id_space={id_space!r} (use COCOWeakDataset '
                             'for the 80-class layout)')
        super().__init__(id_space=90, **kwargs)

    def labels_from_raw(self, vec: np.ndarray, img_id: str) -> np.ndarray:
        return vec

    def raw_label_map(self):
        return None
