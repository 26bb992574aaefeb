"""mmseg's ResNet with the stem max-pool of the MSRA / Caffe DeepLab."""
from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS
from ..utils.checkpoint_state import check_init_state

CONVERT_HINT = ('DeepLab\'s caffe-converted init files take mmseg\'s names '
                'with tools/model_converters/deeplab_caffe2mmseg.py')


@MODELS.register_module()
class ResNetCeilPool(ResNet):
    """mmseg's ``ResNet`` whose stem max-pool rounds its size up.

    DeepLab-V2's Caffe ResNet (and its PyTorch port that CLIMS trains,
    ``segmentation/deeplabv2/libs/models/resnet.py``) pools the stem with a
    3x3 / stride-2 max-pool in ``ceil_mode``: where the stem output has an
    even side the pooled map is one cell larger than mmseg's, and so is every
    map after it (a 160-pixel input, the 0.5 copy of a 321 crop: 21 x 21
    logits instead of 20 x 20). Everything else, the weights' names
    included, is mmseg's ``ResNet``; every argument is passed to it.

    Its initial weights (``pretrained`` / ``init_cfg`` of type
    ``Pretrained``) must fit: a file with other keys or shapes (an
    unconverted DeepLab init file) is refused by :meth:`init_weights`,
    naming the file and the keys, where mmengine would only log them.

    Shapes: (B, 3, H, W) -> the ``out_indices`` feature maps, as ``ResNet``.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.maxpool.ceil_mode = True

    def init_weights(self) -> None:
        init = self.init_cfg
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            check_init_state(self, init['checkpoint'],
                             prefix=init.get('prefix') or '',
                             hint=CONVERT_HINT)
        super().init_weights()
