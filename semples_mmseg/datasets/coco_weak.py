"""COCO 2014 with image-level labels (converted layout, 80 or 90-id files)."""
import os.path as osp
from dataclasses import replace
from typing import List, Optional

import numpy as np

from mmseg.registry import DATASETS
from ..utils.preflight import InputPath
from .class_names import (COCO_CLASSES, COCO_ID_TO_CONTIGUOUS,
                          COCO_PROMPT_NAMES, COCO_UNUSED_IDS,
                          coco_labels_90_to_80, distinct_palette)
from .weak_seg_dataset import WeakLabelSegDataset


@DATASETS.register_module()
class COCOWeakDataset(WeakLabelSegDataset):
    """COCO 2014 as written by ``tools/dataset_converters/coco2014_weak.py``.

    ``data_root`` is the converter's OUT_DIR; the images stay in the official
    download, so ``img_dir`` points at them, absolute or relative to
    ``data_root``::

        data/coco/train2014/COCO_train2014_000000000009.jpg   (official)
        data/coco/semples/masks/train2014/COCO_train2014_000000000009.png
        data/coco/semples/{train,val}_ids.txt, val_seed_1250.txt
        data/coco/semples/cls_labels_coco80.npy

        COCOWeakDataset(data_root='data/coco/semples',
                        ann_file='train_ids.txt',
                        img_dir='../train2014',  # or an absolute path
                        seg_dir='masks/train2014',
                        label_file='cls_labels_coco80.npy')

    Image ``{img_dir}/{id}.jpg``, mask ``{seg_dir}/{id}.png`` (optional;
    ``seg_dir=None``: no masks). For lists of bare 12-digit ids (the
    reference's files) next to the official folders, set
    ``img_name_template='COCO_train2014_{id}.jpg'``.

    The model always sees K = 80 contiguous classes (``classes`` =
    background + 80 names). ``id_space`` says how the *files* count:

    - ``80``: mask values 0 / 1..80 / 255, label vectors (80,);
    - ``90``: raw COCO ids (``--id-space 90``, the reference's files): mask
      values 0 / category id / 255, label vectors (90,) indexed by id - 1.
      They are mapped to 1..80 on load; an unused id (12, 26, ...) in a
      mask, or set in a label vector, is an error naming the file.
    """

    METAINFO = dict(
        classes=COCO_CLASSES,
        palette=distinct_palette(len(COCO_CLASSES)),
        prompt_classes=COCO_PROMPT_NAMES)
    LAYOUT = ('COCO 2014 converted by tools/dataset_converters/'
              'coco2014_weak.py: masks/, {train,val}_ids.txt, '
              'cls_labels_coco80.npy; img_dir points at the official '
              'train2014/ or val2014/ (docs/DATA.md)')
    SPLIT_SIZES = {'train_ids.txt': 82081, 'val_ids.txt': 40137,
                   'val_seed_1250.txt': 1250}
    DEFAULT_SEG_DIR = 'masks/train2014'

    @classmethod
    def required_paths(cls, cfg: dict, *,
                       evaluated: bool = False) -> List[InputPath]:
        """As :class:`WeakLabelSegDataset`'s, the folders named by
        ``img_dir`` / ``seg_dir``."""
        prefix = dict(img_path=cfg.get('img_dir'),
                      seg_map_path=cfg.get('seg_dir', cls.DEFAULT_SEG_DIR))
        keys = {'data_prefix.img_path': 'img_dir',
                'data_prefix.seg_map_path': 'seg_dir'}
        return [replace(p, key=keys.get(p.key, p.key))
                for p in super().required_paths(
                    dict(cfg, data_prefix=prefix), evaluated=evaluated)]

    def __init__(self,
                 *,
                 data_root: str,
                 ann_file: str,
                 img_dir: str,
                 seg_dir: Optional[str] = DEFAULT_SEG_DIR,
                 label_file: Optional[str] = None,
                 id_space: int = 80,
                 img_name_template: str = '{id}.jpg',
                 **kwargs) -> None:
        if id_space not in (80, 90):
            raise ValueError(f'id_space must be 80 or 90, got {id_space!r}')
        if '{id}' not in img_name_template:
            raise ValueError(f'img_name_template {img_name_template!r} has '
                             'no {id} field')
        if 'data_prefix' in kwargs:
            raise TypeError('pass img_dir / seg_dir, not data_prefix='
                            f"{kwargs['data_prefix']!r}")
        img_path = osp.join(data_root, img_dir)
        if osp.isdir(data_root) and not osp.isdir(img_path):
            raise FileNotFoundError(f'image folder {img_path} (img_dir) does '
                                    'not exist')
        data_prefix = dict(img_path=img_dir)
        if seg_dir is not None:
            data_prefix['seg_map_path'] = seg_dir
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
                f'label file {self._label_file_path()}: id {img_id} sets '
                f'unused COCO category ids {unused}')
        return coco_labels_90_to_80(vec)

    def raw_label_map(self) -> Optional[dict]:
        if self.id_space == 80:
            return None
        return dict(COCO_ID_TO_CONTIGUOUS)

