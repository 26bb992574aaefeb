"""GradientClippingLoss on hand-made loss maps (B 2, 8 x 8, windows 4)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from semples_mmseg.models.losses import GradientClippingLoss
from semples_mmseg.models.losses import gradient_clipping_loss as module


def loss_map():
    """The per-pixel CE of the test, (2, 8, 8); ignored pixels 0.

    Windows (over both images): top-left 0.2 everywhere; top-right 1.0 in
    image 0, ignored in image 1; bottom-left 0.4 with one 3.0 in image 0;
    bottom-right 0.1 with one 2.0 in image 1.
    """
    ce = torch.zeros(2, 8, 8, dtype=torch.float64)
    ce[:, :4, :4] = 0.2
    ce[0, :4, 4:] = 1.0
    ce[:, 4:, :4] = 0.4
    ce[0, 5, 1] = 3.0
    ce[:, 4:, 4:] = 0.1
    ce[1, 6, 6] = 2.0
    ignored = torch.zeros(2, 8, 8, dtype=torch.bool)
    ignored[1, :4, 4:] = True
    return ce, ignored


# by hand: the window means over the batch and the mean m over 128 pixels
# (32 pixels per window): 6.4, 16, 15.4 and 5.1 -> m = 42.9 / 128
MEAN = (0.2 * 32 + 1.0 * 16 + (0.4 * 31 + 3.0) + (0.1 * 31 + 2.0)) / 128
CAPS = dict(tl=MEAN, tr=16 / 32, bl=15.4 / 32, br=MEAN)  # 5.1 / 32 < m


def logits_for(ce, ignored, device):
    """2-class logits whose CE against label 0 is ``ce``: class 1's logit
    is log(exp(ce) - 1), class 0's is 0; ignored pixels get label 255."""
    x = torch.log(torch.expm1(ce.clamp(min=1e-3)))
    logits = torch.stack([torch.zeros_like(x), x], 1).to(device)
    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    labels[ignored] = 255
    return logits.requires_grad_(), labels.to(device)


def plain_ce_grad(logits, labels):
    plain = logits.detach().clone().requires_grad_()
    F.cross_entropy(plain, labels, ignore_index=255,
                    reduction='none').sum().div(labels.numel()).backward()
    return plain.grad


def test_mean_and_caps_by_hand():
    ce, ignored = loss_map()
    assert ce.mean().item() == pytest.approx(MEAN) == 0.33515625
    cap, gate = GradientClippingLoss(window_size=4)._caps(ce)
    assert bool(gate)
    assert cap[0, 0] == pytest.approx(CAPS['tl'])
    assert cap[3, 7] == pytest.approx(CAPS['tr'])
    assert cap[7, 0] == pytest.approx(CAPS['bl'])
    assert cap[4, 4] == pytest.approx(CAPS['br'])
    # one cap per window, the same for both images
    assert torch.unique(cap).numel() == 3


def test_clipped_values_and_zero_gradient_above_the_cap(device):
    ce, ignored = loss_map()
    logits, labels = logits_for(ce, ignored, device)
    loss = GradientClippingLoss(start_value=1.2, window_size=4)(
        logits.double(), labels)
    # clipped: top-right 1.0 -> 0.5 (16 pixels), the 3.0 -> bl cap, the
    # 2.0 -> br cap; ignored pixels count as 0 in the mean over 128
    expected = (6.4 + 16 * CAPS['tr'] + (0.4 * 31 + CAPS['bl']) +
                (0.1 * 31 + CAPS['br'])) / 128
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    grad = logits.grad.cpu()
    clipped = torch.zeros(2, 8, 8, dtype=torch.bool)
    clipped[0, :4, 4:] = True
    clipped[0, 5, 1] = True
    clipped[1, 6, 6] = True
    assert (grad.permute(0, 2, 3, 1)[clipped | ignored] == 0).all()
    kept = plain_ce_grad(logits, labels).cpu()
    kept = kept * (~(clipped | ignored))[:, None]
    assert torch.allclose(grad, kept)
    assert (grad.abs().sum(1)[~(clipped | ignored)] > 0).all()


def test_gate_above_start_value_is_plain_ce(device):
    ce, ignored = loss_map()
    logits, labels = logits_for(ce, ignored, device)
    gcd = GradientClippingLoss(start_value=0.33, window_size=4)
    loss = gcd(logits.double(), labels)
    assert loss.item() == pytest.approx(MEAN, rel=1e-5)
    assert gcd.last_mean.item() == pytest.approx(MEAN, rel=1e-5)
    assert not gcd.last_gate_open.item()
    gcd.start_value = MEAN + 1e-3
    gcd(logits.detach().double(), labels)
    assert gcd.last_gate_open.item()
    loss.backward()
    assert torch.allclose(logits.grad, plain_ce_grad(logits, labels))


def test_loss_weight_and_registry_build():
    ce, ignored = loss_map()
    logits, labels = logits_for(ce, ignored, 'cpu')
    loss = MODELS.build(
        dict(type='GradientClippingLoss', window_size=4, loss_weight=2.0))
    assert loss.loss_name == 'loss_gcd'
    single = GradientClippingLoss(window_size=4)(logits, labels)
    assert loss(logits, labels).item() == pytest.approx(2 * single.item())
    with pytest.raises(ValueError, match='gcd'):
        GradientClippingLoss(loss_name='gcd')


def test_window_must_divide_the_map_and_the_crop():
    loss = GradientClippingLoss(window_size=120)
    loss.check_crop_size((480, 480))
    with pytest.raises(ValueError, match=r'120.*\(512, 512\)'):
        loss.check_crop_size((512, 512))
    logits = torch.zeros(1, 2, 10, 8, requires_grad=True)
    with pytest.raises(ValueError, match=r'4.*\(10, 8\)'):
        GradientClippingLoss(window_size=4)(logits,
                                             torch.zeros(1, 10, 8).long())


def test_synced_statistics_are_those_of_the_joint_batch(monkeypatch):
    ce, _ = loss_map()
    other = torch.rand(3, 8, 8, dtype=torch.float64) * 2

    def fake_all_reduce(tensor, op):  # another process holds `other`
        assert op == 'sum'
        tensor += other.sum(0) if tensor.dim() else len(other)

    monkeypatch.setattr(module, 'all_reduce', fake_all_reduce)
    synced = GradientClippingLoss(window_size=4, sync_statistics=True)
    cap, gate = synced._caps(ce)
    joint_cap, joint_gate = GradientClippingLoss(window_size=4)._caps(
        torch.cat([ce, other]))
    assert torch.allclose(cap, joint_cap) and bool(gate) == bool(joint_gate)


def test_same_as_the_reference_formulation_on_random_maps():
    """WeakTr's steps: batch-mean map, 4 x 4 average pooling, max with the
    global mean, repeated over the windows, clamp(l - t, max=0) + t."""
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 8, 12, requires_grad=True)
    labels = torch.randint(0, 5, (3, 8, 12))
    labels[0, :2] = 255
    ce = F.cross_entropy(logits, labels, ignore_index=255, reduction='none')
    stats = ce.detach()
    local = F.avg_pool2d(stats.mean(0)[None, None], 4)[0, 0]
    local = torch.maximum(local, stats.mean())
    cap = local.repeat_interleave(4, 0).repeat_interleave(4, 1)
    expected = (torch.clamp(ce - cap, max=0) + cap).mean()
    assert stats.mean() < 2.0 and not math.isnan(expected.item())
    loss = GradientClippingLoss(start_value=2.0, window_size=4)(logits,
                                                                labels)
    assert torch.allclose(loss, expected)
