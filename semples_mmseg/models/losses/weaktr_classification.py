"""WeakTr's own objective: three multilabel soft-margin losses."""
from typing import Dict

import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class WeakTrClassificationLoss(NamedLoss):
    """Sum of multilabel soft-margin losses on three (B, K) score vectors.

    The class-token scores, global-average-pooled Z and global-average-pooled
    F, each against the image labels, weighted 1 each as WeakTr trains.
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_weaktr_cls') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, cam_output: Dict[str, Tensor],
              labels: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``cls_token``, ``coarse`` and ``fine`` terms."""
        scores = dict(
            cls_token=cam_output['cls_logits'],
            coarse=cam_output['cam_logits_z'].mean(dim=(2, 3)),
            fine=cam_output['fine_cams'].mean(dim=(2, 3)))
        return {
            name: F.multilabel_soft_margin_loss(s, labels)
            for name, s in scores.items()
        }

    def forward(self, cam_output: Dict[str, Tensor], labels: Tensor) -> Tensor:
        return self.loss_weight * sum(self.terms(cam_output, labels).values())
