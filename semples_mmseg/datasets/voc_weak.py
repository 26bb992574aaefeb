"""PASCAL VOC 2012 + SBD ("train_aug") with image-level labels."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmseg.registry import DATASETS
from ..utils.preflight import InputPath, join_root
from .class_names import VOC_CLASSES, VOC_PALETTE, VOC_PROMPT_NAMES
from .voc_xml_labels import DIFFICULT, voc_xml_label_table
from .weak_seg_dataset import WeakLabelSegDataset

LABEL_SOURCES = ('file', 'xml', 'mask')


def label_source_of(label_source: Optional[str],
                    label_file: Optional[str]) -> str:
    """``label_source``, by default ``'file'`` with a label file, else
    ``'mask'``."""
    if label_source is not None:
        return label_source
    return 'file' if label_file is not None else 'mask'


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
    LAYOUT = ('PASCAL VOC 2012 + SBD: JPEGImages/, Annotations/, '
              'SegmentationClass/, SegmentationClassAug/ (mmseg\'s '
              'voc_aug.py), ImageSets/Segmentation/*.txt (docs/DATA.md)')
    DEFAULT_PREFIX = dict(img_path='JPEGImages',
                          seg_map_path='SegmentationClassAug')
    SPLIT_SIZES = {'trainaug.txt': 10582, 'train_aug.txt': 10582,
                   'train_aug_id.txt': 10582, 'train.txt': 1464,
                   'train_id.txt': 1464, 'val.txt': 1449, 'val_id.txt': 1449}

    @classmethod
    def labels_from_masks(cls, cfg: dict) -> bool:
        return label_source_of(cfg.get('label_source'),
                               cfg.get('label_file')) == 'mask'

    @classmethod
    def required_paths(cls, cfg: dict, *,
                       evaluated: bool = False) -> List[InputPath]:
        """As :class:`WeakLabelSegDataset`'s, and ``xml_dir`` for
        ``label_source='xml'``."""
        paths = super().required_paths(cfg, evaluated=evaluated)
        if cfg.get('label_source') == 'xml':
            paths.append(InputPath(
                'xml_dir', join_root(cfg.get('data_root'),
                                     cfg.get('xml_dir', 'Annotations')),
                'dir', 'image-level labels: VOC\'s XML annotations'))
        return paths

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file: Optional[str] = None,
                 label_source: Optional[str] = None,
                 xml_dir: str = 'Annotations',
                 difficult: str = 'include',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        label_source = label_source_of(label_source, label_file)
        if label_source not in LABEL_SOURCES:
            raise ValueError(f'label_source must be one of {LABEL_SOURCES}, '
                             f'got {label_source!r}')
        if (label_source == 'file') != (label_file is not None):
            raise ValueError(f'label_source={label_source!r} with label_file='
                             f"{label_file!r}: a label_file goes with "
                             "label_source='file' only")
        if difficult not in DIFFICULT:
            raise ValueError(f'difficult must be one of {DIFFICULT}, got '
                             f'{difficult!r}')
        self.label_source = label_source
        self.xml_dir = xml_dir
        self.difficult = difficult
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            label_file=label_file,
            data_prefix=data_prefix or dict(self.DEFAULT_PREFIX),
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
