"""Segment-label matching, paper Eq. 1 (stage 1 and 3)."""
from typing import Dict

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss
from .similarity import clamp_similarity, mean_over_pairs, pair_similarity


@MODELS.register_module()
class SegmentLabelMatchingLoss(NamedLoss):
    """L_match = L_OTM + lambda_b * L_BTM over the P labelled pairs.

    L_OTM = mean -log clamp(sim(v^f, u^f_k)) pulls the masked object toward
    its class text; L_BTM = mean -log(1 - clamp(sim(v^b, u^f_k))) pushes the
    masked-out rest away from it.

    Args:
        lambda_b: weight of the background term (VOC 2.4, COCO 0.75).
        loss_weight: multiplies the whole loss.
    """

    def __init__(self,
                 *,
                 lambda_b: float = 2.4,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_match') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.lambda_b = lambda_b

    def terms(self, img_fg: Tensor, img_bg: Tensor,
              text_cls: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``otm`` and ``btm``; inputs (P, D) L2-normalised."""
        s_fg = clamp_similarity(pair_similarity(img_fg, text_cls))
        s_bg = clamp_similarity(pair_similarity(img_bg, text_cls))
        return dict(
            otm=mean_over_pairs(-torch.log(s_fg)),
            btm=mean_over_pairs(-torch.log(1 - s_bg)))

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * (terms['otm'] + self.lambda_b * terms['btm'])

    def forward(self, img_fg: Tensor, img_bg: Tensor,
                text_cls: Tensor) -> Tensor:
        return self.weighted(self.terms(img_fg, img_bg, text_cls))
