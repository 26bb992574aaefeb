"""CLIMS's area regulariser, L_REG (METHOD section 1)."""
from typing import Dict

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class CAMAreaLoss(NamedLoss):
    """L_REG = mean of sigmoid(cam_logits) over every (b, k, y, x).

    As CLIMS (step/train_clims.py: ``torch.mean(x)`` with x the sigmoid CAM
    (N, K, h, w) at the network's resolution, before upsampling), the mean
    runs over all K classes, labelled or not, and all positions: it shrinks
    every activation, not only those of present classes. ``labels`` is
    accepted for the CAM-loss interface and checked for shape, not used.

    Args:
        loss_weight: CLIMS: 0.2 (VOC and COCO).
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_area') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, cam_output: Dict[str, Tensor],
              labels: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``area``; cam_output['cam_logits'] (B, K, h, w)."""
        if 'cam_logits' not in cam_output:
            raise KeyError('CAMAreaLoss needs the CAM output key '
                           f"'cam_logits', got keys {sorted(cam_output)}")
        logits = cam_output['cam_logits']
        if labels.shape != logits.shape[:2]:
            raise ValueError(f'labels {tuple(labels.shape)} do not match '
                             f'cam_logits {tuple(logits.shape)} (B, K)')
        # in at least fp32: fp16 / bf16 logits under autocast
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        return dict(area=torch.sigmoid(logits).mean())

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * terms['area']

    def forward(self, cam_output: Dict[str, Tensor], labels: Tensor) -> Tensor:
        return self.weighted(self.terms(cam_output, labels))
