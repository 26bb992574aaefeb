"""IRNet's class-boundary branch: five ResNet stages -> one stride-4 map."""
from typing import Sequence

import torch
from torch import Tensor, nn


def level(in_channels: int, channels: int, groups: int,
          scale: int) -> nn.Sequential:
    """1x1 conv (no bias), GroupNorm, x``scale`` bilinear upsampling, ReLU."""
    layers = [
        nn.Conv2d(in_channels, channels, 1, bias=False),
        nn.GroupNorm(groups, channels)
    ]
    if scale > 1:
        layers.append(
            nn.Upsample(
                scale_factor=scale, mode='bilinear', align_corners=False))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class IRNetBoundaryBranch(nn.Module):
    """Boundary logits (B, 1, h, w) at the stride of the second stage.

    Each of the five feature maps (stride 4, 4, 8, 16, 16 for IRNet's
    ResNet-50 with layer4 at stride 1) goes through :func:`level`, upsampled
    to stride 4, cropped to the second map's (h, w); the concatenation goes
    through a 1x1 conv with bias to one channel (jiwoon-ahn/irn
    ``net/resnet50_irn.py``, ``fc_edge1..6``).

    Args:
        in_channels: channels of the five feature maps.
        scales: upsampling factor of each map to stride 4.
        channels: channels of each level (IRNet: 32, GroupNorm of 4 groups).
    """

    def __init__(self,
                 *,
                 in_channels: Sequence[int] = (64, 256, 512, 1024, 2048),
                 scales: Sequence[int] = (1, 1, 2, 4, 4),
                 channels: int = 32,
                 groups: int = 4) -> None:
        super().__init__()
        if len(in_channels) != len(scales):
            raise ValueError(f'IRNetBoundaryBranch: {len(in_channels)} '
                             f'in_channels but {len(scales)} scales')
        self.levels = nn.ModuleList(
            level(c, channels, groups, s) for c, s in zip(in_channels, scales))
        self.fuse = nn.Conv2d(channels * len(scales), 1, 1, bias=True)

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        """Five (B, C_i, h_i, w_i) maps -> (B, 1, h, w), (h, w) of map 2."""
        height, width = features[1].shape[-2:]
        maps = [lvl(x)[..., :height, :width]
                for lvl, x in zip(self.levels, features)]
        return self.fuse(torch.cat(maps, dim=1))
