import logging

import open_clip
import pytest
import torch
import torch.nn.functional as F
from open_clip.transformer import QuickGELU, VisionTransformer
from torch import nn

from semples_mmseg.models.clip import FrozenCLIPGuide
from semples_mmseg.models.clip.fast_image_tower import (
    QUICK_GELU_SCALE, FastCLIPImageTower, fast_or_open_clip_tower,
    mlp_forward, patch_embedding, self_attention, unsupported_reason)


def tower(dtype=torch.float32, **kw):
    """A 2-block open_clip ViT with every weight random (biases, norms)."""
    torch.manual_seed(0)
    cfg = dict(image_size=32, patch_size=8, width=32, layers=2, heads=4,
               mlp_ratio=4., output_dim=16, act_layer=QuickGELU)
    cfg.update(kw)
    visual = VisionTransformer(**cfg)
    with torch.no_grad():
        for name, p in visual.named_parameters():
            if name.endswith('weight') and p.dim() == 1:  # LayerNorm scale
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith('bias'):
                p.copy_(0.2 * torch.randn_like(p))
    return visual.eval().requires_grad_(False).to(dtype)


def output_and_input_grad(fn, x):
    x = x.detach().requires_grad_(True)
    out = fn(x)
    # a loss that weights every output entry differently
    weights = torch.linspace(-1, 2, out.numel(), dtype=out.dtype).view_as(out)
    grad, = torch.autograd.grad((out * weights).sum(), x)
    return out.detach(), grad


@pytest.mark.parametrize('kw', [
    dict(),
    dict(act_layer=nn.GELU),
    dict(pool_type='avg'),
    dict(final_ln_after_pool=True),
    dict(no_ln_pre=True),
])
def test_equals_open_clip_forward_and_input_gradient(kw, device):
    visual = tower(**kw).to(device)
    x = torch.randn(3, 3, 32, 32).to(device)
    out, grad = output_and_input_grad(FastCLIPImageTower(visual), x)
    ref_out, ref_grad = output_and_input_grad(visual, x)
    assert out.shape == ref_out.shape == (3, 16)
    assert torch.allclose(out, ref_out, atol=1e-5, rtol=0)
    assert torch.allclose(grad, ref_grad, atol=1e-5, rtol=0)
    assert ref_grad.abs().max() > 1e-2  # the comparison is not vacuous


def test_float64_equals_open_clip_to_rounding():
    visual = tower(torch.float64)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    out, grad = output_and_input_grad(FastCLIPImageTower(visual), x)
    ref_out, ref_grad = output_and_input_grad(visual, x)
    assert out.dtype == torch.float64
    assert torch.allclose(out, ref_out, atol=1e-13, rtol=0)
    assert torch.allclose(grad, ref_grad, atol=1e-13, rtol=0)


def test_vit_b_32_shapes_equal_open_clip():
    cfg = open_clip.get_model_config('ViT-B-32')
    vision = cfg['vision_cfg']
    torch.manual_seed(0)
    visual = VisionTransformer(
        image_size=vision['image_size'], patch_size=vision['patch_size'],
        width=vision['width'], layers=vision['layers'],
        heads=vision['width'] // 64, mlp_ratio=4., output_dim=cfg['embed_dim'],
        act_layer=QuickGELU).eval().requires_grad_(False)
    x = torch.randn(1, 3, 224, 224)
    out, grad = output_and_input_grad(FastCLIPImageTower(visual), x)
    ref_out, ref_grad = output_and_input_grad(visual, x)
    assert out.shape == (1, 512)
    assert torch.allclose(out, ref_out, atol=1e-5, rtol=0)
    assert torch.allclose(grad, ref_grad, atol=1e-5, rtol=0)


def test_patch_embedding_is_the_strided_convolution():
    torch.manual_seed(0)
    weight = torch.randn(5, 3, 4, 2)
    x = torch.randn(2, 3, 9, 7)  # a last partial row / column is dropped
    conv = F.conv2d(x, weight, stride=(4, 2))  # (2, 5, 2, 3)
    tokens = patch_embedding(x, weight)
    assert tokens.shape == (2, 6, 5)
    assert torch.allclose(tokens, conv.flatten(2).transpose(1, 2), atol=1e-5)
    # token (row 1, column 2) by hand: the patch x[:, :, 4:8, 4:6]
    by_hand = torch.einsum('ncpq,ocpq->no', x[:, :, 4:8, 4:6], weight)
    assert torch.allclose(tokens[:, 1 * 3 + 2], by_hand, atol=1e-5)
    with pytest.raises(ValueError, match='4 channels'):
        patch_embedding(torch.zeros(1, 4, 8, 8), weight)


def test_self_attention_equals_multihead_attention_and_query_subset():
    torch.manual_seed(0)
    attn = nn.MultiheadAttention(12, 3, batch_first=True).eval()
    with torch.no_grad():
        attn.in_proj_bias.normal_()
        attn.out_proj.bias.normal_()
    x = torch.randn(2, 5, 12)
    ref = attn(x, x, x, need_weights=False)[0]
    assert torch.allclose(self_attention(attn, x), ref, atol=1e-6)
    assert torch.allclose(self_attention(attn, x, num_queries=2), ref[:, :2],
                          atol=1e-6)


@pytest.mark.parametrize('kw, reason', [
    (dict(ls_init_value=0.1), 'LayerScale'),
    (dict(attentional_pool=True, attn_pooler_queries=4,
          attn_pooler_heads=2), 'attentional pooling'),
    (dict(qk_norm=True), 'CustomResidualAttentionBlock'),
    (dict(pool_type='none'), "'none'"),
    (dict(output_tokens=True), 'output_tokens'),
])
def test_unsupported_variants_are_named_and_keep_open_clip(kw, reason,
                                                           caplog):
    visual = tower(**kw)
    assert reason in unsupported_reason(visual)
    with pytest.raises(ValueError, match=reason):
        FastCLIPImageTower(visual)
    with caplog.at_level(logging.WARNING):
        assert fast_or_open_clip_tower(visual) is visual


def test_custom_norms_are_refused():
    visual = tower()
    visual.transformer.resblocks[1].ln_2 = nn.BatchNorm1d(32)
    assert 'block 1 has a norm' in unsupported_reason(visual)


def test_patch_dropout_in_train_mode_and_checkpointing_fall_back():
    visual = tower(patch_dropout=0.5)
    fast = FastCLIPImageTower(visual)  # eval: dropout off, supported
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(fast(x), visual(x), atol=1e-5)
    visual.train()
    torch.manual_seed(3)
    dropped = fast(x)
    torch.manual_seed(3)
    assert torch.equal(dropped, visual(x))  # open_clip's own forward ran
    visual.eval()
    visual.set_grad_checkpointing(True)
    calls = []
    visual.register_forward_hook(lambda *args: calls.append(1))
    fast(x)
    assert calls == [1]


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_runs_in_low_precision_close_to_open_clip(device, dtype):
    visual = tower().to(device)
    x = torch.randn(2, 3, 32, 32, device=device, requires_grad=True)
    with torch.autocast(device.type, dtype=dtype):
        out = FastCLIPImageTower(visual)(x)
        ref = visual(x)
    assert out.dtype == ref.dtype == dtype
    assert torch.allclose(out.float(), ref.float(), atol=0.05)
    out.float().sum().backward()  # the input gradient in the input's dtype
    assert x.grad.dtype == torch.float32 and torch.isfinite(x.grad).all()
    assert all(p.dtype == torch.float32 and p.grad is None
               for p in visual.parameters())  # fp32 master, never updated


def test_guide_uses_the_fast_tower_by_default(tiny_clip_cfg, monkeypatch):
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg)
    assert isinstance(guide.image_tower, FastCLIPImageTower)
    assert guide.image_tower is guide.image_tower  # made once
    assert guide.state_dict() == {} and list(guide.parameters()) == []
    x = torch.randn(3, 3, 32, 32)
    ref = guide.clip.encode_image(x, normalize=True)
    calls = []
    guide.clip.visual.register_forward_hook(lambda *args: calls.append(1))
    assert torch.allclose(guide.encode_images(x), ref, atol=1e-6)
    assert calls == []  # open_clip's forward did not run
    guide.fast_image_tower = False
    assert guide.image_tower is guide.clip.visual
    assert torch.allclose(guide.encode_images(x), ref, atol=1e-6)
    assert calls == [1]
    guide.fast_image_tower = True
    guide.double()  # the tower reads the weights: casts apply at once
    assert guide.encode_images(x.double()).dtype == torch.float64


def test_guide_falls_back_for_unsupported_towers(tiny_clip_cfg, caplog):
    cfg = dict(tiny_clip_cfg)
    cfg['vision_cfg'] = dict(cfg['vision_cfg'], ls_init_value=0.1)
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=cfg)
    assert guide.image_tower is guide.clip.visual
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(guide.encode_images(x),
                          guide.clip.encode_image(x, normalize=True))


def test_quick_gelu_mlp_is_one_silu_with_folded_scales():
    visual = tower()
    block = visual.transformer.resblocks[0]
    assert isinstance(block.mlp.gelu, QuickGELU)
    x = torch.randn(2, 5, 32)
    assert torch.allclose(mlp_forward(block.mlp, x), block.mlp(x), atol=1e-5)
    h = block.mlp.c_fc(x)
    assert torch.allclose(F.silu(QUICK_GELU_SCALE * h) / QUICK_GELU_SCALE,
                          h * torch.sigmoid(1.702 * h), atol=1e-6)
    gelu_block = tower(act_layer=nn.GELU).transformer.resblocks[0]
    assert torch.equal(mlp_forward(gelu_block.mlp, x), gelu_block.mlp(x))
