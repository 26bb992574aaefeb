"""IRNet's affinity loss on hand-made pairs."""
import math

import pytest
import torch

from semples_mmseg.models.irn import IRNetAffinityLoss


def test_loss_is_the_mean_of_the_three_means():
    affinity = torch.tensor([[[0.9, 0.5, 0.2], [0.1, 0.8, 0.6]]])
    bg = torch.tensor([[[1., 0, 0], [0, 0, 0]]])
    fg = torch.tensor([[[0., 1, 0], [0, 1, 0]]])
    neg = torch.tensor([[[0., 0, 1], [1, 0, 0]]])
    loss = IRNetAffinityLoss(loss_weight=2.0)
    terms = loss.terms(affinity, bg, fg, neg)
    eps = 1e-5
    bg_term = -math.log(0.9 + eps) / (1 + eps)
    fg_term = -(math.log(0.5 + eps) + math.log(0.8 + eps)) / (2 + eps)
    neg_term = -(math.log(1 + eps - 0.2) + math.log(1 + eps - 0.1)) / (2 +
                                                                      eps)
    assert terms['bg_pos'] == pytest.approx(bg_term, rel=1e-6)
    assert terms['fg_pos'] == pytest.approx(fg_term, rel=1e-6)
    assert terms['neg'] == pytest.approx(neg_term, rel=1e-6)
    expected = 2.0 * ((bg_term + fg_term) / 2 + neg_term) / 2
    assert loss(affinity, bg, fg, neg) == pytest.approx(expected, rel=1e-6)
    assert loss.loss_name == 'loss_affinity'


def test_no_pairs_of_a_kind_gives_zero_not_nan():
    affinity = torch.full((1, 2, 3), 0.5, requires_grad=True)
    none = torch.zeros(1, 2, 3)
    value = IRNetAffinityLoss()(affinity, none, none, none)
    assert value == 0
    value.backward()
    assert torch.isfinite(affinity.grad).all()
