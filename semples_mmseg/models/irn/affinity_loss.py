"""IRNet's affinity loss on the pairs of a boundary map."""
from typing import Dict

import torch
from torch import Tensor

from mmseg.registry import MODELS
from ..losses.named_loss import NamedLoss

EPS = 1e-5  # IRNet: inside the logs and under every mean


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """sum(values * mask) / (sum(mask) + 1e-5) over the whole batch."""
    return (values * mask).sum() / (mask.sum() + EPS)


@MODELS.register_module()
class IRNetAffinityLoss(NamedLoss):
    """L = ((L_bg + L_fg) / 2 + L_neg) / 2 (jiwoon-ahn/irn train_irn.py).

    With a the (B, D, S) pair affinities: L_bg and L_fg are the means of
    -log(a + 1e-5) over the background and foreground positive pairs,
    L_neg the mean of -log(1 + 1e-5 - a) over the negative pairs; every
    mean is over the whole batch. IRNet's displacement terms are left out
    (they train a separate branch that semantic masks do not use).
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_affinity') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, affinity: Tensor, bg_pos: Tensor, fg_pos: Tensor,
              neg: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``bg_pos``, ``fg_pos`` and ``neg``; all (B, D, S)."""
        pos = -torch.log(affinity + EPS)
        return dict(
            bg_pos=masked_mean(pos, bg_pos),
            fg_pos=masked_mean(pos, fg_pos),
            neg=masked_mean(-torch.log(1 + EPS - affinity), neg))

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        pos = (terms['bg_pos'] + terms['fg_pos']) / 2
        return self.loss_weight * (pos + terms['neg']) / 2

    def forward(self, affinity: Tensor, bg_pos: Tensor, fg_pos: Tensor,
                neg: Tensor) -> Tensor:
        return self.weighted(self.terms(affinity, bg_pos, fg_pos, neg))
