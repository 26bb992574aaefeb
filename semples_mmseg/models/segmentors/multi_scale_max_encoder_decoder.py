"""DeepLab-V2's multi-scale training and its pixel-wise max at test time."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmseg.models.losses import accuracy
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList, add_prefix


@MODELS.register_module()
class MultiScaleMaxEncoderDecoder(EncoderDecoder):
    """An ``EncoderDecoder`` run on the image and its smaller copies.

    DeepLab-V2's MSC wrapper (CLIMS: ``segmentation/deeplabv2/libs/models/
    msc.py``; ``main.py`` for the loss). The backbone and head run on the
    input and on its bilinear copies at ``scales`` (align_corners False);
    the copies' logits are upsampled bilinearly to the full-scale logits and
    the pixel-wise max is taken::

     forward_scales(): logits at 1.0, at each scale, and their max
     loss(): the decode head's losses on every one of them, summed, each
             against the labels resized to that map (nearest, as PIL)
     predict(): inference() on the max -> postprocess_result()

    Unlike mmseg's heads, the losses run at the logits' resolution (stride
    8): the labels are shrunk to each map, the logits are not enlarged.

    Args:
        scales: the copies besides the input; DeepLab-V2: (0.5, 0.75).
        backbone / decode_head / neck / train_cfg / test_cfg /
        data_preprocessor / pretrained / init_cfg: as ``EncoderDecoder``.
    """

    def __init__(self,
                 *,
                 backbone: dict,
                 decode_head: dict,
                 scales: Sequence[float] = (0.5, 0.75),
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not scales or any(s <= 0 for s in scales):
            raise ValueError(f'scales must be positive factors, got '
                             f'{scales!r}')
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.scales = tuple(scales)

    @property
    def output_names(self) -> List[str]:
        """Names of the maps of ``forward_scales``: ``x1``, ``x0.5`` ...,
        ``max``; the logged losses are prefixed with them."""
        return ['x1'] + [f'x{s:g}' for s in self.scales] + ['max']

    def _logits(self, inputs: Tensor) -> Tensor:
        return self.decode_head(self.extract_feat(inputs))

    def forward_scales(self, inputs: Tensor) -> List[Tensor]:
        """(B, 3, H, W) -> [(B, C, h, w) at 1.0, (B, C, h_s, w_s) for each
        scale, (B, C, h, w) the pixel-wise max of all of them]."""
        full = self._logits(inputs)
        scaled = [
            self._logits(
                F.interpolate(inputs, scale_factor=s, mode='bilinear',
                              align_corners=False)) for s in self.scales
        ]
        upsampled = [
            F.interpolate(x, size=full.shape[2:], mode='bilinear',
                          align_corners=False) for x in scaled
        ]
        return [full, *scaled, torch.stack([full, *upsampled]).amax(dim=0)]

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The max logits, resized to the input as mmseg heads do."""
        return self.decode_head.predict_by_feat(
            self.forward_scales(inputs)[-1], batch_img_metas)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """The max logits (B, C, h, w) at the head's resolution."""
        return self.forward_scales(inputs)[-1]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Every decode loss on each map, e.g. ``x0.5.loss_ce``; mmengine
        sums them into the loss it steps on."""
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples])
        head = self.decode_head
        loss_modules = head.loss_decode if isinstance(
            head.loss_decode, nn.ModuleList) else [head.loss_decode]
        losses: Dict[str, Tensor] = {}
        for name, logits in zip(self.output_names,
                                self.forward_scales(inputs)):
            target = resize_labels(labels, logits.shape[2:])
            terms = {}
            for loss_module in loss_modules:
                value = loss_module(
                    logits, target, weight=None,
                    ignore_index=head.ignore_index)
                terms[loss_module.loss_name] = terms.get(
                    loss_module.loss_name, 0) + value
            if name == 'max':
                terms['acc_seg'] = accuracy(
                    logits, target, ignore_index=head.ignore_index)
            losses.update(add_prefix(terms, name))
        return losses


def resize_labels(labels: Tensor, size: Sequence[int]) -> Tensor:
    """(B, 1, H, W) integer labels -> (B, h, w) long, nearest as PIL.

    ``nearest-exact`` samples each output pixel's centre, which is what the
    reference's PIL ``Image.NEAREST`` resize does (torch's ``nearest`` takes
    the top-left neighbour and shifts the labels).
    """
    resized = F.interpolate(labels.float(), size=tuple(size),
                            mode='nearest-exact')
    return resized.squeeze(1).long()
