"""Images with pseudo masks, for training a segmentation model on them."""
import os.path as osp
from typing import List, Optional, Union

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from .image_labels import read_id_list
from .scan import ScanItem, scan_files
from .seeded_samples import SeededSamplesMixin


@DATASETS.register_module()
class PseudoMaskDataset(SeededSamplesMixin, BaseSegDataset):
    """Ids of ``ann_file``; image ``{img_path}/{id}{img_suffix}``, mask
    ``{seg_map_path}/{id}{seg_map_suffix}`` (``data_prefix``, under
    ``data_root``), as mmseg's own datasets.

    Before training every listed file is checked (``datasets/scan.py``,
    threads): one error names every missing mask, mask of another size than
    its image, unreadable image and mask with values outside 0..K and 255
    (up to 20 files, with the count). ``scan=False`` only checks that the
    masks exist.

    Classes (background first, K + 1 names): those of the registered
    dataset ``classes_of`` (e.g. ``'PascalVOCDataset'``,
    ``'COCOWeakDataset'``), or ``metainfo=dict(classes=...)``.

    Example::

        PseudoMaskDataset(
            data_root='data/VOCdevkit/VOC2012',
            ann_file='ImageSets/Segmentation/trainaug.txt',
            data_prefix=dict(img_path='JPEGImages',
                             seg_map_path='pseudo_masks'),
            classes_of='PascalVOCDataset')
    """

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 data_prefix: dict,
                 classes_of: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 scan: Union[bool, dict] = True,
                 **kwargs) -> None:
        if classes_of is not None:
            source = DATASETS.get(classes_of)
            if source is None:
                raise KeyError(f'PseudoMaskDataset: classes_of={classes_of!r}'
                               ' is not a registered dataset')
            metainfo = {**source.METAINFO, **(metainfo or {})}
        if not (metainfo or {}).get('classes'):
            raise ValueError("PseudoMaskDataset needs its classes: classes_of"
                             "='PascalVOCDataset' (a registered dataset) or "
                             'metainfo=dict(classes=...)')
        self.scan = scan
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            metainfo=metainfo,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        mask_dir = self.data_prefix.get('seg_map_path')
        if not mask_dir or not osp.isdir(mask_dir):
            raise FileNotFoundError(f'PseudoMaskDataset: the mask folder '
                                    f'{mask_dir!r} does not exist')
        img_dir = self.data_prefix.get('img_path', '')
        data_list = [
            dict(img_path=osp.join(img_dir, img_id + self.img_suffix),
                 seg_map_path=osp.join(mask_dir, img_id + self.seg_map_suffix),
                 label_map=self.label_map,
                 reduce_zero_label=False,
                 seg_fields=[]) for img_id in read_id_list(self.ann_file)
        ]
        source = f'PseudoMaskDataset ({self.ann_file})'
        if self.scan is False:
            missing = [d['seg_map_path'] for d in data_list
                       if not osp.isfile(d['seg_map_path'])]
            if missing:
                raise FileNotFoundError(f'{source}: {len(missing)} masks are '
                                        f'missing, e.g. {missing[:5]}')
            return data_list
        options = self.scan if isinstance(self.scan, dict) else {}
        scan_files([ScanItem(d['img_path'], d['seg_map_path'])
                    for d in data_list],
                   num_classes=len(self.metainfo['classes']) - 1,
                   workers=options.get('workers'),
                   source=source)
        return data_list
