import torch
import torch.nn.functional as F
from torch import nn

from mmseg.registry import MODELS
from semples_mmseg.models.decode_heads import ASPPV2Head


def test_logits_are_the_sum_of_four_dilated_convs():
    torch.manual_seed(0)
    head = ASPPV2Head(in_channels=64, num_classes=5)
    x = torch.randn(1, 64, 9, 9)
    out = head([x])
    manual = sum(
        F.conv2d(x, conv.weight, conv.bias, padding=d, dilation=d)
        for conv, d in zip(head.convs, (6, 12, 18, 24)))
    assert out.shape == (1, 5, 9, 9)
    torch.testing.assert_close(out, manual)
    # each branch alone differs from the sum: all four take part
    for conv, d in zip(head.convs, (6, 12, 18, 24)):
        alone = F.conv2d(x, conv.weight, conv.bias, padding=d, dilation=d)
        assert not torch.allclose(alone, out)


def test_no_batch_norm_pooling_dropout_or_1x1_classifier():
    head = MODELS.build(
        dict(type='ASPPV2Head', in_channels=64, num_classes=21))
    assert not hasattr(head, 'conv_seg') and head.dropout is None
    assert not any(
        isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.AvgPool2d,
                       nn.AdaptiveAvgPool2d, nn.Dropout, nn.Dropout2d))
        for m in head.modules())
    # every parameter is one of the four 3x3 branches
    assert sum(p.numel() for p in head.parameters()) == 4 * (64 * 21 * 9 + 21)
    convs = list(head.convs)
    assert [c.dilation for c in convs] == [(6, 6), (12, 12), (18, 18),
                                            (24, 24)]
    assert [c.padding for c in convs] == [(6, 6), (12, 12), (18, 18),
                                           (24, 24)]
    assert all(c.kernel_size == (3, 3) for c in convs)


def test_init_is_normal_0_01_with_zero_bias():
    torch.manual_seed(0)
    head = ASPPV2Head(in_channels=256, num_classes=21)
    head.init_weights()
    weights = torch.cat([c.weight.flatten() for c in head.convs])
    assert abs(weights.std().item() - 0.01) < 5e-4
    assert abs(weights.mean().item()) < 5e-4
    assert all((c.bias == 0).all() for c in head.convs)
