import math

import pytest
import torch
import torch.nn.functional as F

from semples_mmseg.models.losses import WeakTrClassificationLoss
from mmseg.registry import MODELS


def cam_output(device='cpu'):
    return dict(
        cls_logits=torch.tensor([[2., -1.], [0., 1.]], device=device,
                                requires_grad=True),
        cam_logits_z=torch.tensor([[[[1., 3.]], [[0., 0.]]],
                                   [[[-2., 0.]], [[4., 2.]]]],
                                  device=device, requires_grad=True),
        fine_cams=torch.tensor([[[[4., 0.]], [[1., 1.]]],
                                [[[0., 0.]], [[2., 0.]]]],
                               device=device, requires_grad=True))


def soft_margin(scores, labels):
    """multilabel soft margin by hand: mean over classes, then images."""
    total = 0.
    for s, y in zip(scores.tolist(), labels.tolist()):
        total += -sum(yi * math.log(1 / (1 + math.exp(-si))) +
                      (1 - yi) * math.log(1 / (1 + math.exp(si)))
                      for si, yi in zip(s, y)) / len(s)
    return total / len(scores)


def test_three_terms_match_hand_values_and_torch(device):
    out = cam_output(device)
    labels = torch.tensor([[1., 0.], [0., 1.]], device=device)
    loss = MODELS.build(dict(type='WeakTrClassificationLoss', loss_weight=2.))
    terms = loss.terms(out, labels)
    # pooled by hand: GAP(Z) = [[2, 0], [-1, 3]], GAP(F) = [[2, 1], [0, 1]]
    by_hand = dict(
        cls_token=soft_margin(torch.tensor([[2., -1.], [0., 1.]]), labels),
        coarse=soft_margin(torch.tensor([[2., 0.], [-1., 3.]]), labels),
        fine=soft_margin(torch.tensor([[2., 1.], [0., 1.]]), labels))
    assert set(terms) == set(by_hand)
    for name, value in by_hand.items():
        assert math.isclose(terms[name].item(), value, rel_tol=1e-6), name
    assert terms['coarse'].device == labels.device
    assert torch.isclose(
        terms['coarse'].cpu(),
        F.multilabel_soft_margin_loss(torch.tensor([[2., 0.], [-1., 3.]]),
                                      labels.cpu()))
    total = loss(out, labels)
    assert math.isclose(total.item(), 2 * sum(by_hand.values()), rel_tol=1e-6)
    assert loss.loss_name == 'loss_weaktr_cls'
    total.backward()
    assert all(v.grad is not None and v.grad.abs().sum() > 0
               for v in out.values())


def test_missing_outputs_and_bad_shapes_are_named():
    loss = WeakTrClassificationLoss()
    out = cam_output()
    del out['fine_cams']
    with pytest.raises(KeyError, match="'fine_cams'"):
        loss(out, torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r'cls_logits.*\(2, 2\).*\(2, 3\)'):
        loss(cam_output(), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="'weaktr_cls'"):
        WeakTrClassificationLoss(loss_name='weaktr_cls')


def test_half_precision_scores_give_float32_terms():
    """Under autocast the CAM outputs are fp16 / bf16: the soft margins are
    computed in fp32 (and fp64 stays fp64)."""
    out, labels = cam_output(), torch.tensor([[1., 0.], [0., 1.]])
    loss = WeakTrClassificationLoss()
    ref = loss.terms(out, labels)
    for dtype in (torch.float16, torch.bfloat16):
        terms = loss.terms({k: v.to(dtype) for k, v in out.items()}, labels)
        for name, value in terms.items():
            assert value.dtype == torch.float32, name
            assert torch.allclose(value, ref[name], atol=1e-2), name
    doubled = loss.terms({k: v.double() for k, v in out.items()}, labels)
    assert all(v.dtype == torch.float64 for v in doubled.values())
