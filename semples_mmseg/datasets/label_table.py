"""VOC image-level label tables and the reference's label-file format.

The reference format (``cls_labels.npy`` of PSA / IRNet, read by WeakTr and
SemPLeS) is ``np.save`` of a dict ``image id -> float32 (20,)`` multi-hot
(IRNet writes the ids of ``train_aug`` and ``val``: 10582 + 1449 = 12031).
``tools/dataset_converters/voc_cls_labels.py`` writes one from the XML
annotations or from the masks; ``image_labels.read_label_file`` reads it.
"""
import os
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from ..utils.atomic_files import np_save_atomically
from .class_names import VOC_CLASSES
from .image_labels import labels_from_mask
from .voc_xml_labels import voc_xml_label_table

SOURCES = ('xml', 'mask')
VOC_SEG_DIRS = ('SegmentationClassAug', 'SegmentationClass')


def voc_label_table(data_root: str,
                    ids: Sequence[str],
                    *,
                    source: str = 'xml',
                    xml_dir: str = 'Annotations',
                    seg_dirs: Sequence[str] = VOC_SEG_DIRS,
                    difficult: str = 'include') -> Dict[str, np.ndarray]:
    """Image id -> (20,) float32 labels of the VOC tree at ``data_root``.

    ``source='xml'`` reads ``{xml_dir}/{id}.xml`` (``difficult`` as in
    ``voc_xml_labels``); ``source='mask'`` reads the first of
    ``{seg_dir}/{id}.png`` that exists, in the order of ``seg_dirs`` (mmseg's
    converter puts SBD's masks in SegmentationClassAug/ and leaves VOC's own
    in SegmentationClass/), 0 and 255 ignored. Folders are relative to
    ``data_root`` unless absolute.
    """
    if source not in SOURCES:
        raise ValueError(f'source must be one of {SOURCES}, got {source!r}')
    class_names = VOC_CLASSES[1:]
    if source == 'xml':
        return voc_xml_label_table(
            osp.join(data_root, xml_dir), ids, class_names,
            difficult=difficult)
    folders = [osp.join(data_root, d) for d in seg_dirs]
    table = {}
    for img_id in ids:
        paths = [osp.join(d, img_id + '.png') for d in folders]
        found = next((p for p in paths if osp.isfile(p)), None)
        if found is None:
            raise FileNotFoundError(
                f'no mask for image id {img_id} in any of {folders}')
        table[img_id] = labels_from_mask(found, len(class_names))
    return table


def save_label_file(path: str, table: Dict[str, np.ndarray]) -> None:
    """Write ``table`` in the reference format (a pickled dict id -> float32
    (K,)), atomically: a stopped run never leaves half a file."""
    if not table:
        raise ValueError(f'no image labels to write to {path}')
    lengths = {np.asarray(v).reshape(-1).shape[0] for v in table.values()}
    if len(lengths) != 1:
        raise ValueError(f'label vectors of different lengths {lengths}')
    out = {str(k): np.asarray(v, np.float32).reshape(-1)
           for k, v in table.items()}
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    np_save_atomically(out, path)
