import math

import pytest
import torch
import torch.nn.functional as F

from mmseg.registry import MODELS


def ce(logits, label):
    """-log softmax(logits)[label], written out."""
    return math.log(sum(math.exp(v) for v in logits)) - logits[label]


def test_half_background_half_foreground_means():
    # one image, 1 x 4 pixels: background, background, class 2, ignored
    logits = [[2., 0., 0.], [0., 0., 0.], [0., 0., -1.], [5., 0., 0.]]
    label = torch.tensor([[[0, 0, 2, 255]]])
    score = torch.tensor(logits).T.reshape(1, 3, 1, 4)
    loss = MODELS.build(dict(type='BalancedCrossEntropyLoss'))
    background = (ce(logits[0], 0) + ce(logits[1], 0)) / 2
    foreground = ce(logits[2], 2)
    expected = (background + foreground) / 2
    assert loss(score, label).item() == pytest.approx(expected, rel=1e-6)
    # not the plain mean over the three labelled pixels
    plain = F.cross_entropy(score, label, ignore_index=255).item()
    assert plain == pytest.approx(
        (2 * background + foreground) / 3, rel=1e-6)
    assert abs(plain - expected) > 0.05
    terms = loss.terms(score, label)
    assert terms['background'].item() == pytest.approx(background, rel=1e-6)
    assert terms['foreground'].item() == pytest.approx(foreground, rel=1e-6)
    weighted = MODELS.build(
        dict(type='BalancedCrossEntropyLoss', loss_weight=3.0))
    assert weighted(score, label).item() == pytest.approx(3 * expected,
                                                          rel=1e-6)


def test_means_run_over_the_batch_not_per_image():
    # image 0: one background pixel; image 1: three; no foreground at all
    score = torch.zeros(2, 2, 1, 3)
    score[0, 1, 0, 0] = 2.0  # image 0's background pixel: a worse CE
    label = torch.tensor([[[0, 255, 255]], [[0, 0, 0]]])
    loss = MODELS.build(dict(type='BalancedCrossEntropyLoss'))
    pixels = [ce([0., 2.], 0)] + [ce([0., 0.], 0)] * 3
    # the empty foreground half contributes 0 (the reference gives NaN)
    assert loss(score, label).item() == pytest.approx(
        sum(pixels) / 4 / 2, rel=1e-6)


def test_gradient_is_finite_with_an_empty_half():
    score = torch.randn(1, 3, 4, 4, requires_grad=True)
    label = torch.full((1, 4, 4), 2)
    label[0, 0] = 255
    loss = MODELS.build(dict(type='BalancedCrossEntropyLoss'))(score, label)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(score.grad).all()
    assert score.grad[0, :, 0].abs().sum() == 0  # ignored pixels
    assert score.grad[0, :, 1:].abs().sum() > 0


def test_refuses_pixel_weights_and_mismatched_shapes():
    loss = MODELS.build(dict(type='BalancedCrossEntropyLoss'))
    score, label = torch.zeros(1, 3, 4, 4), torch.zeros(1, 4, 4).long()
    with pytest.raises(ValueError, match='sampler'):
        loss(score, label, weight=torch.ones(1, 4, 4))
    with pytest.raises(ValueError, match=r'\(1, 4, 5\)'):
        loss(score, torch.zeros(1, 4, 5).long())
    assert loss.loss_name == 'loss_balanced_ce'
