"""Cross-entropy balanced between background and foreground pixels."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class BalancedCrossEntropyLoss(NamedLoss):
    """``(mean CE over background pixels + mean CE over foreground) / 2``.

    The loss CLIMS trains its ImageNet-initialised DeepLab-V2 with
    (``segmentation/deeplabv2/main_v2.py``, ``criterion_balance``): the
    per-pixel softmax CE, averaged separately over the pixels labelled
    ``background_index`` and over the other labelled pixels (``ignore_index``
    excluded), each mean taken over the whole batch. A half with no pixel
    contributes 0 (the reference divides by its count, 0, and gives NaN).

    mmseg's loss interface: ``loss(cls_score (B, C, H, W), label (B, H, W),
    weight=None, ignore_index=255)``, usable as ``decode_head.loss_decode``.
    """

    def __init__(self,
                 *,
                 background_index: int = 0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_balanced_ce') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.background_index = background_index

    def terms(self,
              cls_score: Tensor,
              label: Tensor,
              ignore_index: int = 255) -> Dict[str, Tensor]:
        """Unweighted ``background`` and ``foreground`` mean CEs."""
        if cls_score.dim() != 4 or label.shape != (cls_score.shape[0],
                                                   *cls_score.shape[2:]):
            raise ValueError(f'cls_score {tuple(cls_score.shape)} (B, C, H, '
                             f'W) and label {tuple(label.shape)} (B, H, W) '
                             'do not match')
        # in at least fp32: fp16 / bf16 logits under autocast
        logits = cls_score.to(torch.promote_types(cls_score.dtype,
                                                  torch.float32))
        per_pixel = F.cross_entropy(
            logits, label, reduction='none', ignore_index=ignore_index)
        background = label == self.background_index
        foreground = (label != ignore_index) & ~background
        return dict(
            background=self._masked_mean(per_pixel, background),
            foreground=self._masked_mean(per_pixel, foreground))

    @staticmethod
    def _masked_mean(values: Tensor, mask: Tensor) -> Tensor:
        mask = mask.to(values.dtype)
        return (values * mask).sum() / mask.sum().clamp(min=1)

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * (terms['background'] +
                                   terms['foreground']) / 2

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        if weight is not None:
            raise ValueError('BalancedCrossEntropyLoss takes no pixel '
                             'weights (decode_head.sampler must be None)')
        return self.weighted(self.terms(cls_score, label, ignore_index))
