"""mmpretrain's RandAugment, usable inside an mmseg pipeline."""
from mmcv.transforms import BaseTransform
from mmengine.registry import DefaultScope

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PretrainRandAugment(BaseTransform):
    """Builds ``mmpretrain``'s ``RandAugment`` under mmpretrain's scope.

    ``dict(type='mmpretrain.RandAugment')`` fails in an mmseg pipeline: it
    builds its sub-policies (``AutoContrast``, ...) by bare name in the
    current (mmseg) scope. This wrapper takes the same keyword arguments.
    Like WeakTr's timm augmentation it changes the image only (training
    with image-level labels needs no mask).
    """

    def __init__(self, **kwargs) -> None:
        from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
        from mmpretrain.utils import register_all_modules
        register_all_modules(init_default_scope=False)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            self.rand_augment = PRETRAIN_TRANSFORMS.build(
                dict(type='RandAugment', **kwargs))

    def transform(self, results: dict) -> dict:
        return self.rand_augment(results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.rand_augment!r})'
