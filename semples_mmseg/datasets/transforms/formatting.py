"""Packing with the image-level labels in every data sample's metainfo."""
from typing import Optional, Sequence

import numpy as np

from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                     'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                     'reduce_zero_label', 'img_labels', 'sample_idx',
                     'img_id')
# always packed: the labels, and the dataset index that tells a dataset
# sample (which must have labels for 'gt' inference) from a loose image
ALWAYS_PACKED = ('img_labels', 'sample_idx')


@TRANSFORMS.register_module()
class PackWeakSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` plus ``img_labels`` (K,) in ``metainfo``.

    Metainfo reaches the model in training and at test time alike, so the
    image-level labels are there for the CLIP losses and for CAM inference.
    A sample without ``img_labels`` (an image given to ``inference_model``
    or ``MMSegInferencer``, which has no label file) is packed without
    them: the segmentor then takes its labels from the source its
    ``test_cfg['labels']`` names, and training refuses it naming the file.
    With ``num_classes`` set, a vector of another length is an error naming
    the image. ``sample_idx`` (set by every mmengine dataset) is packed too,
    and ``img_id`` where the dataset sets it (``ImageTagDataset``: the path
    below its image folder, which names the image's output files).
    """

    def __init__(self,
                 *,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS,
                 num_classes: Optional[int] = None) -> None:
        meta_keys = tuple(meta_keys) + tuple(
            k for k in ALWAYS_PACKED if k not in meta_keys)
        super().__init__(meta_keys=meta_keys)
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        if 'img_labels' not in results:
            return super().transform(results)
        name = results.get('img_path')
        labels = np.asarray(results['img_labels'], dtype=np.float32)
        if labels.ndim != 1:
            raise ValueError(f'{name}: img_labels must be a (K,) vector, got '
                             f'shape {labels.shape}')
        if self.num_classes is not None and labels.shape[0] != self.num_classes:
            raise ValueError(f'{name}: img_labels has length {labels.shape[0]}'
                             f', expected K = {self.num_classes}')
        results['img_labels'] = labels
        return super().transform(results)
