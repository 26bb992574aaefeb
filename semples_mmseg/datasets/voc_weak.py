"""PASCAL VOC 2012 + SBD ("train_aug") with image-level labels."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmseg.registry import DATASETS
from .class_names import VOC_CLASSES, VOC_PALETTE, VOC_PROMPT_NAMES
from .voc_xml_labels import DIFFICULT, voc_xml_label_table
from .weak_seg_dataset import WeakLabelSegDataset

LABEL_SOURCES = ('file', 'xml', 'mask')


@DATASETS.register_module()
class VOCWeakDataset(WeakLabelSegDataset):
    """VOC layout: ``JPEGImages/``, masks in ``SegmentationClassAug/`` (SBD,
    as mmseg's ``voc_aug.py`` converter writes them) or ``SegmentationClass/``
    (VOC's own palette PNGs), id lists under ``ImageSets/Segmentation/``
    (``trainaug.txt`` from mmseg's converter or the reference's
    ``train_aug.txt``, ``train.txt``, ``val.txt``), ``Annotations/*.xml``.

    Image-level labels (``label_source``):

    * ``'xml'``: from ``{xml_dir}/{id}.xml``, difficult objects counted or not
      (``difficult``, see ``voc_xml_labels``); what the reference's
      ``cls_labels.npy`` was made from;
    * ``'file'``: the reference format, a pickled dict id -> (20,) multi-hot
      (``label_file``; ``tools/dataset_converters/voc_cls_labels.py`` writes
      one);
    * ``'mask'``: the classes present in each image's mask.

    Without ``label_source``: ``'file'`` when a ``label_file`` is given, else
    ``'mask'``.

    Example::

        VOCWeakDataset(data_root='data/VOCdevkit/VOC2012',
                       ann_file='ImageSets/Segmentation/trainaug.txt',
                       label_source='xml')

    Metainfo ``classes`` includes background (mmseg convention);
    ``prompt_classes`` are the K names put into CLIP's class texts.
    """

    METAINFO = dict(
        classes=VOC_CLASSES,
        palette=VOC_PALETTE,
        prompt_classes=VOC_PROMPT_NAMES)

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file: Optional[str] = None,
                 label_source: Optional[str] = None,
                 xml_dir: str = 'Annotations',
                 difficult: str = 'include',
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 **kwargs) -> None:
        if label_source is None:
            label_source = 'file' if label_file is not None else 'mask'
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'VOCWeakDataset: label_source must be one of '
                             f'{LABEL_SOURCES}, got {label_source!r}')
        if (label_source == 'file') != (label_file is not None):
            raise ValueError(
                f"VOCWeakDataset: label_source={label_source!r} with "
                f'label_file={label_file!r}: a label_file goes with '
                "label_source='file' (or no label_source) only")
        if difficult not in DIFFICULT:
            raise ValueError(f'VOCWeakDataset: difficult must be one of '
                             f'{DIFFICULT}, got {difficult!r}')
        self.label_source = label_source
        self.xml_dir = xml_dir
        self.difficult = difficult
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            label_file=label_file,
            data_prefix=data_prefix,
            img_suffix='.jpg',
            seg_map_suffix='.png',
            **kwargs)

    def load_label_table(self,
                         ids: List[str]) -> Optional[Dict[str, np.ndarray]]:
        if self.label_source != 'xml':
            return super().load_label_table(ids)
        xml_dir = self.xml_dir
        if not osp.isabs(xml_dir):
            xml_dir = osp.join(self.data_root, xml_dir)
        print_log(f'VOCWeakDataset: image labels of {len(ids)} images from '
                  f'{xml_dir} (difficult objects: {self.difficult})',
                  logger='current')
        return voc_xml_label_table(
            xml_dir, ids, self.metainfo['classes'][1:],
            difficult=self.difficult)
