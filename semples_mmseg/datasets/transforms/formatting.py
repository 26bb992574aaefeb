"""Packing with the image-level labels in every data sample's metainfo."""
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

DEFAULT_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                     'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                     'reduce_zero_label', 'img_labels')


@TRANSFORMS.register_module()
class PackWeakSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` plus ``img_labels`` (K,) in ``metainfo``.

    Metainfo reaches the model in training and at test time alike, so the
    image-level labels are there for the CLIP losses and for CAM inference.
    """

    def __init__(self, meta_keys=DEFAULT_META_KEYS) -> None:
        if 'img_labels' not in meta_keys:
            meta_keys = tuple(meta_keys) + ('img_labels', )
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img_labels' not in results:
            raise KeyError(f"{results.get('img_path')} has no 'img_labels': "
                           'use a weak-label dataset (VOCWeakDataset, ...)')
        return super().transform(results)
