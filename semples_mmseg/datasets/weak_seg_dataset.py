"""The base of our weak-label datasets: images, optional masks, labels."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.logging import print_log

from mmseg.datasets import BaseSegDataset
from ..utils.rng_state import seeded_rng
from .image_labels import labels_from_mask, read_id_list, read_label_file


class WeakLabelSegDataset(BaseSegDataset):
    """Ids from ``ann_file``; each sample carries ``img_labels`` (K,) float32.

    Labels come from ``label_file`` (a pickled dict id -> (K,) multi-hot, the
    reference format) or, without one, from the masks (0 and 255 ignored).
    Masks are optional: a sample without one has ``seg_map_path=None`` (so
    train_aug without masks works); evaluation needs them. With
    ``masks_required=True`` (training a segmentation model on pseudo masks)
    a listed image without its mask is an error naming the file, at build
    time.
    K is ``len(metainfo['classes']) - 1`` (``classes`` includes background).

    Nothing is ever written into the data folders.
    """

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file: Optional[str] = None,
                 masks_required: bool = False,
                 **kwargs) -> None:
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root {data_root} does not exist')
        self.label_file = label_file
        self.masks_required = masks_required
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

    def load_data_list(self) -> List[dict]:
        ids = read_id_list(self.ann_file)
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        label_path = self._label_file_path()
        k = self.num_classes
        labels = None
        raw_map = self.raw_label_map()
        have_seg_dir = bool(seg_dir) and osp.isdir(seg_dir)
        if self.masks_required and not have_seg_dir:
            raise FileNotFoundError(
                f'{type(self).__name__}: masks_required but the mask folder '
                f'{seg_dir!r} does not exist')
        if label_path is not None:
            labels = read_label_file(label_path, self.raw_label_length())
        elif not have_seg_dir:
            raise FileNotFoundError(
                f'{type(self).__name__}: no label_file and no mask folder '
                f'{seg_dir!r} to derive image labels from')
        else:
            print_log(f'{type(self).__name__}: deriving image labels from the '
                      f'masks of {len(ids)} images in {seg_dir}',
                      logger='current')
        data_list = []
        for img_id in ids:
            img_path = osp.join(img_dir, self.img_file_name(img_id))
            seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix) \
                if seg_dir else None
            if seg_path is not None and not osp.isfile(seg_path):
                if self.masks_required:
                    raise FileNotFoundError(
                        f'{type(self).__name__}: no mask {seg_path} for '
                        f'image id {img_id} (listed in {self.ann_file}; '
                        'masks_required=True)')
                seg_path = None
            if labels is not None:
                if img_id not in labels:
                    raise KeyError(f'image id {img_id} (from {self.ann_file}) '
                                   f'has no entry in label file {label_path}')
                vec = self.labels_from_raw(labels[img_id], img_id)
            else:
                if seg_path is None:
                    raise FileNotFoundError(
                        f'no mask for image id {img_id} in {seg_dir} and no '
                        'label_file: cannot derive its image labels')
                vec = labels_from_mask(seg_path, k, raw_map)
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_path,
                    img_labels=vec.astype(np.float32),
                    label_map=raw_map,
                    reduce_zero_label=False,
                    seg_fields=[]))
        return data_list

    def __getitem__(self, idx: int) -> dict:
        """A sample; a :class:`SeededIndex` (``SeededSampler``) runs its
        pipeline with the generators seeded by the index's sample seed."""
        seed = getattr(idx, 'sample_seed', None)
        if seed is None:
            return super().__getitem__(idx)
        with seeded_rng(seed):
            return super().__getitem__(int(idx))

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
