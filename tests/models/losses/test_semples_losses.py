import math

import pytest
import torch

from semples_mmseg.models.losses import (ContrastivePromptLoss,
                                         PromptRefinementLoss,
                                         SegmentLabelMatchingLoss)


def unit(*angles):
    """(P, 2) unit vectors at the given angles (radians)."""
    a = torch.tensor(angles, dtype=torch.float64)
    return torch.stack([a.cos(), a.sin()], dim=1)


# Pairs chosen so that cosines are 0.5, 1.0 (clamped to 0.9999) and
# -0.6 (clamped to 1e-4), covering both clamp ends.
TEXT = unit(0.0, 0.0, 0.0)
IMG_FG = unit(math.pi / 3, 0.0, math.acos(-0.6))
IMG_BG = unit(math.acos(0.2), math.acos(-0.1), math.acos(0.9))


def test_matching_loss_by_hand(device):
    loss = SegmentLabelMatchingLoss(lambda_b=2.4, loss_weight=3.0)
    otm = (-math.log(0.5) - math.log(0.9999) - math.log(1e-4)) / 3
    btm = (-math.log(1 - 0.2) - math.log(1 - 1e-4) - math.log(1 - 0.9)) / 3
    fg, bg, text = (t.to(device) for t in (IMG_FG, IMG_BG, TEXT))
    terms = loss.terms(fg, bg, text)
    assert terms['otm'].device == fg.device
    assert terms['otm'].item() == pytest.approx(otm, rel=1e-6)
    assert terms['btm'].item() == pytest.approx(btm, rel=1e-6)
    assert loss(fg, bg, text).item() == pytest.approx(
        3.0 * (otm + 2.4 * btm), rel=1e-6)
    assert loss.loss_name == 'loss_match'


def test_contrastive_prompt_loss_by_hand():
    loss = ContrastivePromptLoss(lambda_t=0.02)
    prompt = unit(0.0, 0.0, 0.0)
    # sim(v_b, u_b) = 0.2, -0.1 -> 1e-4, 0.9; sim(u_f, u_b) = 1 -> 0.9999
    pi = (-math.log(0.2) - math.log(1e-4) - math.log(0.9)) / 3
    pt = math.log(0.9999)
    terms = loss.terms(IMG_BG, prompt, TEXT)
    assert terms['prompt_i'].item() == pytest.approx(pi, rel=1e-6)
    assert terms['prompt_t'].item() == pytest.approx(pt, rel=1e-6)
    assert loss(IMG_BG, prompt, TEXT).item() == pytest.approx(
        pi + 0.02 * pt, rel=1e-6)


def test_refinement_loss_by_hand():
    loss = PromptRefinementLoss(loss_weight=0.05)
    prompt = unit(0.0, math.pi / 2, 0.0)
    # sims: 0.5, 0 -> 1e-4, -0.6 -> 1e-4
    ref = (-math.log(0.5) - 2 * math.log(1 - 1e-4)) / 3
    assert loss(IMG_FG, prompt).item() == pytest.approx(0.05 * ref, rel=1e-6)


@pytest.mark.parametrize('loss, n_inputs', [
    (SegmentLabelMatchingLoss(), 3),
    (ContrastivePromptLoss(), 3),
    (PromptRefinementLoss(), 2),
])
def test_no_pairs_gives_zero_that_backpropagates(loss, n_inputs, device):
    inputs = [torch.zeros(0, 4, device=device, requires_grad=True)
              for _ in range(n_inputs)]
    value = loss(*inputs)
    assert value.item() == 0.0 and not torch.isnan(value)
    value.backward()
    assert all(x.grad is not None for x in inputs)


def test_clamped_similarity_has_no_gradient_and_no_nan():
    fg = unit(0.0).requires_grad_(True)  # sim = 1 -> clamped
    loss = SegmentLabelMatchingLoss()(fg, unit(0.0), unit(0.0))
    loss.backward()
    assert torch.isfinite(loss)
    assert fg.grad.abs().sum() == 0


def test_gradient_pulls_foreground_toward_text():
    fg = unit(1.0).requires_grad_(True)
    SegmentLabelMatchingLoss()(fg, unit(2.0), unit(0.0)).backward()
    # d(-log s)/d fg = -text / s: descending increases the x component
    assert fg.grad[0, 0] < 0


def test_bad_names_and_shapes_are_named():
    with pytest.raises(ValueError, match="'match'"):
        SegmentLabelMatchingLoss(loss_name='match')
    with pytest.raises(ValueError, match=r'\(2, 4\) vs \(3, 4\)'):
        PromptRefinementLoss()(torch.zeros(2, 4), torch.zeros(3, 4))


def test_half_precision_embeddings_stay_finite_at_the_clamp():
    # fp16 rounds 0.9999 to 1.0; the similarity is taken in float32
    fg = unit(0.0).half()
    assert torch.isfinite(PromptRefinementLoss()(fg, fg))
    assert torch.isfinite(SegmentLabelMatchingLoss()(fg, fg, fg))
    loss = SegmentLabelMatchingLoss()(fg, fg, fg)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        -math.log(0.9999) + 2.4 * -math.log(1 - 0.9999), rel=1e-4)


def test_contrastive_text_term_at_both_clamp_ends():
    loss = ContrastivePromptLoss(lambda_t=0.5, loss_weight=2.0)
    text = unit(0.0, 0.0, 0.0)
    prompt = unit(math.acos(0.3), math.pi, 0.0)  # sims 0.3, -1, 1
    img_bg = prompt  # sim(v_b, u_b) = 1 -> 0.9999 for every pair
    pt = (math.log(0.3) + math.log(1e-4) + math.log(0.9999)) / 3
    pi = -math.log(0.9999)
    terms = loss.terms(img_bg, prompt, text)
    assert terms['prompt_t'].item() == pytest.approx(pt, rel=1e-6)
    assert terms['prompt_i'].item() == pytest.approx(pi, rel=1e-6)
    assert loss(img_bg, prompt, text).item() == pytest.approx(
        2.0 * (pi + 0.5 * pt), rel=1e-6)
    assert loss.loss_name == 'loss_prompt'


def test_refinement_terms_are_unweighted():
    loss = PromptRefinementLoss(loss_weight=0.2)
    fg, prompt = unit(0.0), unit(math.acos(0.7))
    assert loss.terms(fg, prompt)['refine'].item() == pytest.approx(
        -math.log(0.3), rel=1e-6)
    assert loss(fg, prompt).item() == pytest.approx(
        0.2 * -math.log(0.3), rel=1e-6)
    assert loss.loss_name == 'loss_refine'


@pytest.mark.parametrize('loss, n_inputs', [
    (SegmentLabelMatchingLoss(), 3),
    (ContrastivePromptLoss(), 3),
    (PromptRefinementLoss(), 2),
])
def test_no_pairs_gives_zero_terms(loss, n_inputs):
    inputs = [torch.zeros(0, 4) for _ in range(n_inputs)]
    terms = loss.terms(*inputs)
    assert terms and all(v.item() == 0.0 for v in terms.values())


def test_losses_build_from_config():
    from mmseg.registry import MODELS
    loss = MODELS.build(
        dict(type='SegmentLabelMatchingLoss', lambda_b=0.75, loss_weight=2.0))
    assert (loss.lambda_b, loss.loss_weight) == (0.75, 2.0)
    assert MODELS.build(dict(type='ContrastivePromptLoss',
                             lambda_t=0.01)).lambda_t == 0.01
    assert MODELS.build(dict(type='PromptRefinementLoss',
                             loss_weight=0.05)).loss_weight == 0.05
