"""Image-level labels from the PASCAL VOC XML annotations (``Annotations/``).

The reference label file (``cls_labels.npy`` of PSA / IRNet, used by WeakTr
and SemPLeS) is made from these files: IRNet's ``make_cls_labels.py`` marks a
class when any ``<name>`` of the XML is that class, so difficult and
truncated objects count. mmpretrain's ``VOC`` dataset reads the same files
but keeps a class only when one of its objects is not difficult (difficult
ones go to ``gt_label_difficult``). Both are offered:

* ``difficult='include'`` (default, the reference): every object counts;
* ``difficult='exclude'`` (mmpretrain's ``gt_label``): a class counts when at
  least one of its objects has ``<difficult>0</difficult>``.

Truncated (and occluded) objects count in both. Only top-level ``<object>``
names are read (person-layout ``<part>`` names are not classes).
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, Sequence

import numpy as np
from mmengine import fileio

DIFFICULT = ('include', 'exclude')


def read_voc_xml_labels(path: str,
                        class_names: Sequence[str],
                        *,
                        difficult: str = 'include') -> np.ndarray:
    """(K,) float32 multi-hot of the classes annotated in one VOC XML file.

    Args:
        path: ``Annotations/{id}.xml``.
        class_names: the K class names as VOC writes them (``'aeroplane'``,
            ..., ``'tvmonitor'``), in label order.
        difficult: ``'include'`` or ``'exclude'`` (see the module doc).
    """
    if difficult not in DIFFICULT:
        raise ValueError(f"difficult must be one of {DIFFICULT}, got "
                         f'{difficult!r}')
    if not osp.isfile(path):
        raise FileNotFoundError(f'VOC annotation {path} does not exist')
    try:
        root = ET.fromstring(fileio.get(path))
    except ET.ParseError as exc:
        raise ValueError(f'VOC annotation {path} is not valid XML: '
                         f'{exc}') from exc
    index = {name: k for k, name in enumerate(class_names)}
    vec = np.zeros(len(class_names), np.float32)
    for obj in root.findall('object'):
        name = (obj.findtext('name') or '').strip()
        if name not in index:
            raise ValueError(f'VOC annotation {path}: object name {name!r} '
                             f'is not one of the {len(class_names)} classes')
        is_difficult = (obj.findtext('difficult') or '0').strip() == '1'
        if difficult == 'exclude' and is_difficult:
            continue
        vec[index[name]] = 1
    return vec


def voc_xml_label_table(xml_dir: str,
                        ids: Sequence[str],
                        class_names: Sequence[str],
                        *,
                        difficult: str = 'include') -> Dict[str, np.ndarray]:
    """Image id -> (K,) float32 labels from ``{xml_dir}/{id}.xml``."""
    if not osp.isdir(xml_dir):
        raise FileNotFoundError(
            f'VOC annotation folder {xml_dir} does not exist (it comes with '
            'the VOC 2012 download as Annotations/; or give a label_file)')
    return {
        img_id: read_voc_xml_labels(
            osp.join(xml_dir, img_id + '.xml'), class_names,
            difficult=difficult)
        for img_id in ids
    }
