"""COCO 2014 with image-level labels (converted layout, 80 or 90-id files)."""
from typing import Optional

import numpy as np

from mmseg.registry import DATASETS
from .class_names import (COCO_CLASSES,
                          COCO_ID_TO_CONTIGUOUS, COCO_PROMPT_NAMES,
                          COCO_UNUSED_IDS, coco_labels_90_to_80,
                          distinct_palette)
from .weak_seg_dataset import WeakLabelSegDataset


@DATASETS.register_module()
class COCOWeakDataset(WeakLabelSegDataset):
    """COCO 2014 as written by ``tools/dataset_converters/coco2014_weak.py``
    (or by WeakTr's scripts)::

        data_root/train2014/COCO_train2014_{id}.jpg   (the official images)
        data_root/val2014/COCO_val2014_{id}.jpg
        data_root/voc_format/class_labels/{id}.png    uint8 class-index masks
        data_root/voc_format/{train,val,train_1250}.txt   12-digit ids
        data_root/voc_format/cls_labels.npy           pickled dict id -> (80,) or (90,)

    The model always sees K = 80 contiguous classes (``classes`` =
    background + 80 names). ``id_space`` says how the *files* count:

    - ``80``: mask values 0 / 1..80 / 255, label vectors (80,);
    - ``90``: the reference's raw COCO ids (WeakTr / SemPLeS files): mask
      values 0 / raw category id / 255, label vectors (90,) indexed by
      raw id - 1. They are mapped to 1..80 on load; an unused id (12, 26,
      ...) in a mask, or set in a label vector, is an error.

    ``img_name_template`` turns an id into the image file name
    (``'{id}.jpg'`` for WeakTr's flattened ``images/`` folder).
    """

    METAINFO = dict(
        classes=COCO_CLASSES,
        palette=distinct_palette(len(COCO_CLASSES)),
        prompt_classes=COCO_PROMPT_NAMES)

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file: Optional[str] = None,
                 id_space: int = 80,
                 img_name_template: str = 'COCO_train2014_{id}.jpg',
                 data_prefix: dict = dict(
                     img_path='train2014',
                     seg_map_path='voc_format/class_labels'),
                 **kwargs) -> None:
        if id_space not in (80, 90):
            raise ValueError(f'COCOWeakDataset: id_space must be 80 or 90, '
                             f'got {id_space!r}')
        if '{id}' not in img_name_template:
            raise ValueError('COCOWeakDataset: img_name_template '
                             f'{img_name_template!r} has no {{id}} field')
        self.id_space = id_space
        self.img_name_template = img_name_template
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            label_file=label_file,
            data_prefix=data_prefix,
            img_suffix='.jpg',
            seg_map_suffix='.png',
            **kwargs)

    def img_file_name(self, img_id: str) -> str:
        return self.img_name_template.format(id=img_id)

    def raw_label_length(self) -> int:
        return self.id_space

    def labels_from_raw(self, vec: np.ndarray, img_id: str) -> np.ndarray:
        if self.id_space == 80:
            return vec
        unused = [cid for cid in COCO_UNUSED_IDS if vec[cid - 1] != 0]
        if unused:
            raise ValueError(
                f'label file {self.label_file}: id {img_id} sets unused COCO '
                f'category ids {unused}')
        return coco_labels_90_to_80(vec)

    def raw_label_map(self) -> Optional[dict]:
        if self.id_space == 80:
            return None
        return dict(COCO_ID_TO_CONTIGUOUS)

