"""FusedSegmenterMaskHead: the stock head's masks plus the intermediate."""
import math

import pytest
import torch

from mmseg.models.decode_heads import SegmenterMaskTransformerHead
from semples_mmseg.models.decode_heads import FusedSegmenterMaskHead

HEAD = dict(in_channels=16, channels=16, num_classes=3, num_heads=2,
            embed_dims=16, drop_rate=0.1, attn_drop_rate=0.1,
            drop_path_rate=0.0,
            loss_decode=dict(type='GradientClippingLoss', window_size=4))


def features(seed=0):
    torch.manual_seed(seed)
    return [torch.randn(2, 16, 4, 5)]


def test_final_masks_are_the_stock_heads():
    fused = FusedSegmenterMaskHead(num_layers=2, **HEAD).eval()
    fused.init_weights()
    stock = SegmenterMaskTransformerHead(num_layers=2, **HEAD).eval()
    stock.load_state_dict(fused.state_dict())
    x = features()
    assert torch.allclose(fused(x), stock(x), atol=1e-6)
    metas = [dict(img_shape=(8, 10))]
    assert torch.allclose(fused.predict(x, metas, {}),
                          stock.predict(x, metas, {}), atol=1e-6)


def test_intermediate_masks_are_those_after_the_first_layer():
    fused = FusedSegmenterMaskHead(num_layers=2, **HEAD).eval()
    fused.init_weights()
    # a one-layer head with the same first layer, norms and projections
    one = SegmenterMaskTransformerHead(num_layers=1, **HEAD).eval()
    missing = one.load_state_dict(fused.state_dict(), strict=False)
    assert missing.unexpected_keys and all(
        k.startswith('layers.1.') for k in missing.unexpected_keys)
    x = features(1)
    both = fused.predict_with_intermediate(x, [dict(img_shape=(8, 10))])
    assert both.shape == (2, 6, 8, 10)
    metas = [dict(img_shape=(8, 10))]
    assert torch.allclose(both[:, :3], fused.predict(x, metas, {}),
                          atol=1e-6)
    assert torch.allclose(both[:, 3:], one.predict(x, metas, {}), atol=1e-6)


def test_fuse_on_hand_made_logits():
    head = FusedSegmenterMaskHead(num_layers=2, fusion_weight=0.8, **HEAD)
    # final softmax (0.2, 0.6, 0.2), intermediate (1/3, 1/3, 1/3)
    logits = torch.tensor([0.0, math.log(3.0), 0.0, 0.0, 0.0, 0.0])
    fused = head.fuse(logits.view(6, 1, 1))[:, 0, 0]
    third = 0.8 / 3
    assert torch.allclose(
        fused, torch.tensor([0.2 + third, 0.6 + third, 0.2 + third]))
    assert fused.sum().item() == pytest.approx(1.8)


def test_bad_fusion_settings_are_refused():
    with pytest.raises(ValueError, match='num_layers >= 2, got 1'):
        FusedSegmenterMaskHead(num_layers=1, **HEAD)
    with pytest.raises(ValueError, match='-0.5'):
        FusedSegmenterMaskHead(num_layers=2, fusion_weight=-0.5, **HEAD)
    FusedSegmenterMaskHead(num_layers=1, fusion_weight=0, **HEAD)
