"""The base of our weak-label datasets: images, optional masks, labels."""
import os.path as osp
import time
from typing import Dict, List, Optional, Union

import numpy as np
from mmengine.logging import print_log

from mmseg.datasets import BaseSegDataset
from ..utils.preflight import (InputPath, join_root, pipeline_reads_masks,
                               seg_dataset_inputs)
from .image_labels import read_id_list, read_label_file
from .scan import ScanItem, scan_files
from .seeded_samples import SeededSamplesMixin


class WeakLabelSegDataset(SeededSamplesMixin, BaseSegDataset):
    """Ids from ``ann_file``; each sample carries ``img_labels`` (K,) float32.

    Labels come from ``label_file`` (a pickled dict id -> (K,) multi-hot, the
    reference format) or, without one, from the masks (0 and 255 ignored).
    Masks are optional: a sample without one has ``seg_map_path=None`` (so
    train_aug without masks works); evaluation needs them. With
    ``masks_required=True`` (training a segmentation model on pseudo masks)
    a listed image without its mask is an error naming the file, at build
    time.
    K is ``len(metainfo['classes']) - 1`` (``classes`` includes background).

    Every listed file is checked when the dataset is built
    (``datasets/scan.py``: image headers, and the masks where they are
    read: ``masks_required`` or a pipeline that loads annotations), in
    parallel; ``scan=False`` skips it, ``scan=dict(workers=N)`` sets the
    threads. The scanned image size is kept as ``scan_shape`` (H, W).

    Nothing is ever written into the data folders. What a config of the
    class reads is declared once, in :meth:`required_paths` (the pre-flight
    and ``tools/analysis_tools/verify_dataset.py`` ask it).
    """

    #: what ``data_root`` holds, for the message when an input is missing
    LAYOUT = 'the layout of the dataset'
    #: ``data_prefix`` when the config gives none
    DEFAULT_PREFIX: Dict[str, str] = {}
    #: id-list file name -> images in the full download (verify_dataset);
    #: each class declares its own (a subclass may read another download)
    SPLIT_SIZES: Dict[str, int] = {}

    @classmethod
    def labels_from_masks(cls, cfg: dict) -> bool:
        """Whether a config of the class derives image labels from masks."""
        return not cfg.get('label_file')

    @classmethod
    def required_paths(cls, cfg: dict, *,
                       evaluated: bool = False) -> List[InputPath]:
        """The folders and files a config of this class reads, keyed inside
        ``cfg``: ``data_root``, ``ann_file``, the image folder, the
        ``label_file`` and, where masks are read (``evaluated`` by a metric,
        ``masks_required``, labels from masks, a pipeline that loads them),
        the mask folder."""
        masks_read = (evaluated or bool(cfg.get('masks_required'))
                      or cls.labels_from_masks(cfg)
                      or pipeline_reads_masks(cfg.get('pipeline')))
        paths = seg_dataset_inputs(cfg, masks_read=masks_read,
                                   default_prefix=cls.DEFAULT_PREFIX,
                                   layout=cls.LAYOUT)
        if cfg.get('label_file'):
            paths.append(InputPath(
                'label_file', join_root(cfg.get('data_root'),
                                        cfg['label_file']), 'file',
                'image-level labels: a pickled dict id -> multi-hot'))
        return paths

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file: Optional[str] = None,
                 masks_required: bool = False,
                 scan: Union[bool, dict] = True,
                 **kwargs) -> None:
        if not osp.isdir(data_root):
            raise FileNotFoundError(f'data_root {data_root} does not exist')
        if not isinstance(scan, (bool, dict)):
            raise TypeError(f'scan must be a bool or dict(workers=N), got '
                            f'{scan!r}')
        self.label_file = label_file
        self.masks_required = masks_required
        self.scan = scan
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    @property
    def num_classes(self) -> int:
        return len(self.metainfo['classes']) - 1

    def _label_file_path(self) -> Optional[str]:
        if self.label_file is None:
            return None
        if osp.isabs(self.label_file):
            return self.label_file
        return osp.join(self.data_root, self.label_file)

    def masks_read(self) -> bool:
        """True when the masks are used (so scanned): ``masks_required`` or
        a pipeline that loads annotations (evaluation). Masks stay optional
        per image unless ``masks_required``."""
        return self.masks_required or pipeline_reads_masks(
            getattr(self.pipeline, 'transforms', []))

    def load_data_list(self) -> List[dict]:
        ids = read_id_list(self.ann_file)
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        have_seg_dir = bool(seg_dir) and osp.isdir(seg_dir)
        if self.masks_required and not have_seg_dir:
            raise FileNotFoundError(f'masks_required, but the mask folder '
                                    f'{seg_dir!r} does not exist')
        labels = self.load_label_table(ids)
        if labels is None and not have_seg_dir:
            raise FileNotFoundError(f'no label_file and no mask folder '
                                    f'{seg_dir!r} to derive labels from')
        raw_map = self.raw_label_map()
        data_list = []
        for img_id in ids:
            seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix) \
                if seg_dir else None
            if seg_path is not None and not osp.isfile(seg_path):
                if self.masks_required or labels is None:
                    raise FileNotFoundError(f'no mask {seg_path} for image '
                                            f'id {img_id} ({self.ann_file})')
                seg_path = None
            vec = None
            if labels is not None:
                if img_id not in labels:
                    raise KeyError(f'image id {img_id} (from {self.ann_file}) '
                                   f'is not in {self._label_file_path()}')
                vec = self.labels_from_raw(labels[img_id],
                                           img_id).astype(np.float32)
            data_list.append(
                dict(
                    img_path=osp.join(img_dir, self.img_file_name(img_id)),
                    seg_map_path=seg_path,
                    img_labels=vec,
                    label_map=raw_map,
                    reduce_zero_label=False,
                    seg_fields=[]))
        self._scan(data_list, derive=labels is None, raw_map=raw_map)
        return data_list

    def _scan(self, data_list: List[dict], *, derive: bool,
              raw_map: Optional[dict]) -> None:
        """Check every file read (``scan``); derive labels from the masks.
        The masks go to the scan where read: ``masks_read()`` or labels
        derived from them."""
        enabled = self.scan is not False
        if not (enabled or derive):
            return
        masks = derive or (enabled and self.masks_read())
        items = [ScanItem(d['img_path'] if enabled else None,
                          d['seg_map_path'] if masks else None)
                 for d in data_list]
        options = self.scan if isinstance(self.scan, dict) else {}
        start = time.perf_counter()
        results = scan_files(
            items,
            num_classes=self.num_classes,
            derive_labels=derive,
            label_map=raw_map,
            workers=options.get('workers'),
            source=f'{type(self).__name__} ({self.ann_file})')
        for info, result in zip(data_list, results):
            if derive:
                info['img_labels'] = result.labels
            if result.size is not None:
                info['scan_shape'] = result.size
        what = ('images' + (' and masks' if masks else '')
                if enabled else 'masks (image labels)')
        print_log(
            f'{type(self).__name__}: scanned {len(items)} {what} of '
            f'{self.ann_file} in {time.perf_counter() - start:.1f} s'
            f'{" (scan=False skips it)" if enabled else ""}',
            logger='current')

    def load_label_table(self,
                         ids: List[str]) -> Optional[Dict[str, np.ndarray]]:
        """Image id -> raw label vector for ``ids``; None: derive each
        image's labels from its mask. Default: the ``label_file``."""
        label_path = self._label_file_path()
        if label_path is None:
            return None
        return read_label_file(label_path, self.raw_label_length(), ids=ids)

    # hooks for layouts with other file names / id spaces (COCO)
    def img_file_name(self, img_id: str) -> str:
        """The image's file name inside ``data_prefix['img_path']``."""
        return img_id + self.img_suffix

    def raw_label_length(self) -> int:
        """Length of the vectors in the label file."""
        return self.num_classes

    def labels_from_raw(self, vec: np.ndarray, img_id: str) -> np.ndarray:
        """A label-file vector -> the (K,) vector the model sees."""
        return vec

    def raw_label_map(self) -> Optional[dict]:
        """Raw mask value -> label (mmseg's ``label_map``); None: identity."""
        return None
