"""DeepLab-V2's classifier: atrous spatial pyramid pooling, summed."""
from typing import List, Sequence

from torch import Tensor, nn

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """Parallel dilated 3x3 convs straight to the classes, outputs summed.

    DeepLab-V2's ASPP (Chen et al. 2017; CLIMS trains it from
    ``segmentation/deeplabv2/libs/models/deeplabv2.py``): one 3x3 conv with
    bias per dilation, ``in_channels -> num_classes``, padding = dilation;
    the logits are their sum. No BN, no ReLU, no image pooling, no 1x1
    branch, no dropout (mmseg's ``ASPPHead`` is DeepLab-V3's, which has all
    of these). Weights N(0, 0.01), biases 0, as the reference.

    Args:
        in_channels: channels of the feature map (ResNet-101 layer4: 2048).
        num_classes: classes, background included (VOC: 21).
        dilations: one branch each; DeepLab-V2: (6, 12, 18, 24).
        loss_decode: default the reference's CE, averaged over the labelled
            pixels (mmseg's ``avg_non_ignore=True``).
        **kwargs: the rest of ``BaseDecodeHead`` (``in_index``,
            ``ignore_index``, ``align_corners``).

    Shapes: features (B, in_channels, h, w) -> logits (B, num_classes, h, w).
    """

    def __init__(self,
                 *,
                 in_channels: int,
                 num_classes: int,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 loss_decode=dict(
                     type='CrossEntropyLoss', avg_non_ignore=True),
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01,
                               bias=0),
                 **kwargs) -> None:
        super().__init__(
            in_channels,
            in_channels,
            num_classes=num_classes,
            dropout_ratio=0.0,
            loss_decode=loss_decode,
            init_cfg=init_cfg,
            **kwargs)
        del self.conv_seg  # the branches classify
        self.dilations = tuple(dilations)
        self.convs = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d,
                      dilation=d) for d in self.dilations)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        x = self._transform_inputs(inputs)
        return sum(conv(x) for conv in self.convs)
