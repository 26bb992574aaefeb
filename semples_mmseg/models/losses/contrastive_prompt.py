"""Contrastive prompt learning, paper Eq. 2 (stage 2)."""
from typing import Dict

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss
from .similarity import clamp_similarity, mean_over_pairs, pair_similarity


@MODELS.register_module()
class ContrastivePromptLoss(NamedLoss):
    """L_prompt = lambda_I * L^I + lambda_T * L^T over the P labelled pairs.

    L^I = mean -log clamp(sim(v^b, u^b_k)) pulls the learned prompt toward
    the masked-out background; L^T = mean +log clamp(sim(u^f_k, u^b_k))
    pushes it away from the class text.

    Args:
        lambda_t: weight of the text term (VOC 0.02, COCO 0.01).
        lambda_i: weight of the image term (1; 0 learns the prompts with
            L^T alone, the paper's Table 4 ablation).
        loss_weight: multiplies the whole loss.
    """

    def __init__(self,
                 *,
                 lambda_t: float = 0.02,
                 lambda_i: float = 1.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_prompt') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        self.lambda_t = lambda_t
        self.lambda_i = lambda_i

    def terms(self, img_bg: Tensor, prompt_bg: Tensor,
              text_cls: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``prompt_i`` and ``prompt_t``; inputs (P, D)."""
        s_img = clamp_similarity(pair_similarity(img_bg, prompt_bg))
        s_txt = clamp_similarity(pair_similarity(text_cls, prompt_bg))
        return dict(
            prompt_i=mean_over_pairs(-torch.log(s_img)),
            prompt_t=mean_over_pairs(torch.log(s_txt)))

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * (self.lambda_i * terms['prompt_i'] +
                                   self.lambda_t * terms['prompt_t'])

    def forward(self, img_bg: Tensor, prompt_bg: Tensor,
                text_cls: Tensor) -> Tensor:
        return self.weighted(self.terms(img_bg, prompt_bg, text_cls))
