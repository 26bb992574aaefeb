"""Prompt-guided semantic refinement, paper Eq. 3 (stage 3)."""
from typing import Dict

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss
from .similarity import clamp_similarity, mean_over_pairs, pair_similarity


@MODELS.register_module()
class PromptRefinementLoss(NamedLoss):
    """L_refine = mean -log(1 - clamp(sim(v^f, u^b_k))).

    Keeps the masked object away from its class's learned background prompt.
    The paper's lambda (VOC 0.05, COCO 0.2) is this loss's ``loss_weight``.
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_refine') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, img_fg: Tensor, prompt_bg: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``refine``; inputs (P, D) L2-normalised."""
        s = clamp_similarity(pair_similarity(img_fg, prompt_bg))
        return dict(refine=mean_over_pairs(-torch.log(1 - s)))

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * terms['refine']

    def forward(self, img_fg: Tensor, prompt_bg: Tensor) -> Tensor:
        return self.weighted(self.terms(img_fg, prompt_bg))
