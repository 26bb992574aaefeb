import subprocess
import sys
from pathlib import Path

import pytest
import torch

from semples_mmseg.models.cam_nets import WeakTrCAMNet

REPO = Path(__file__).resolve().parents[2]
TINY = dict(num_classes=3, img_size=32, embed_dims=48, depth=2, num_heads=6,
            aaf_reduction=4)


def reference_weaktr_state(dims=48, depth=2, k=3, grid=2, heads=6, r=4):
    """Key names and shapes of hustvl/WeakTr's deit_small_WeakTr_patch16_224."""
    g = torch.Generator().manual_seed(0)
    shapes = {
        'cls_token': (1, k, dims),
        'pos_embed': (1, k + grid * grid, dims),
        'patch_embed.proj.weight': (dims, 3, 16, 16),
        'patch_embed.proj.bias': (dims, ),
        'norm.weight': (dims, ),
        'norm.bias': (dims, ),
        'head.weight': (k, dims, 3, 3),
        'head.bias': (k, ),
        'adaptive_attention_fusion.attn_head_ffn.0.weight':
        (depth * heads // r, depth * heads),
        'adaptive_attention_fusion.attn_head_ffn.2.weight':
        (depth * heads, depth * heads // r),
        'adaptive_attention_fusion.attn_feat_ffn.0.weight':
        (dims // heads // 8, dims // heads),
        'adaptive_attention_fusion.attn_feat_ffn.0.bias': (dims // heads // 8, ),
        'adaptive_attention_fusion.attn_feat_ffn.1.weight':
        (1, dims // heads // 8),
        'adaptive_attention_fusion.attn_feat_ffn.1.bias': (1, ),
    }
    for i in range(depth):
        p = f'blocks.{i}.'
        shapes.update({
            p + 'norm1.weight': (dims, ), p + 'norm1.bias': (dims, ),
            p + 'attn.qkv.weight': (3 * dims, dims),
            p + 'attn.qkv.bias': (3 * dims, ),
            p + 'attn.proj.weight': (dims, dims), p + 'attn.proj.bias': (dims, ),
            p + 'norm2.weight': (dims, ), p + 'norm2.bias': (dims, ),
            p + 'mlp.fc1.weight': (4 * dims, dims),
            p + 'mlp.fc1.bias': (4 * dims, ),
            p + 'mlp.fc2.weight': (dims, 4 * dims), p + 'mlp.fc2.bias': (dims, ),
        })
    return {k: torch.randn(s, generator=g) for k, s in shapes.items()}


def run_converter(*args):
    return subprocess.run([
        sys.executable,
        str(REPO / 'tools/model_converters/weaktr2semples.py'), *map(str, args)
    ], capture_output=True, text=True)


def converter_module():
    sys.path.insert(0, str(REPO / 'tools/model_converters'))
    try:
        import weaktr2semples
    finally:
        sys.path.pop(0)
    return weaktr2semples


@pytest.mark.slow
def test_converter_round_trip(tmp_path):
    state = reference_weaktr_state()
    src, dst = tmp_path / 'WeakTr_voc.pth', tmp_path / 'converted.pth'
    torch.save({'model': state, 'epoch': 59}, src)
    assert run_converter(src, dst).returncode == 0
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert not any(k.startswith('norm.') for k in converted)
    # strict load of the converted tensors into a fresh network
    net = WeakTrCAMNet(**TINY)
    net.load_state_dict(converted, strict=True)
    # and through init_cfg / pretrained
    for kw in (dict(pretrained=str(dst)),
               dict(init_cfg=dict(type='Pretrained', checkpoint=str(dst)))):
        net = WeakTrCAMNet(**TINY, **kw)
        net.init_weights()
        assert torch.equal(net.head.weight, state['head.weight'])
        assert torch.equal(net.backbone.cls_token, state['cls_token'])
        assert torch.equal(net.backbone.pos_embed, state['pos_embed'])
        assert torch.equal(net.backbone.patch_embed.proj.weight,
                           state['patch_embed.proj.weight'])
        assert torch.equal(
            net.aaf.attn_head_ffn[2].weight,
            state['adaptive_attention_fusion.attn_head_ffn.2.weight'])
        assert torch.equal(
            net.aaf.attn_feat_ffn[1].bias,
            state['adaptive_attention_fusion.attn_feat_ffn.1.bias'])
        assert torch.equal(net.backbone.blocks[1].attn.qkv.bias,
                           state['blocks.1.attn.qkv.bias'])


def test_converter_strips_ddp_prefix():
    state = reference_weaktr_state()
    out = converter_module().convert_weaktr(
        {f'module.{k}': v for k, v in state.items()})
    assert torch.equal(out['backbone.blocks.0.mlp.fc1.weight'],
                       state['blocks.0.mlp.fc1.weight'])


def test_converter_rejects_unknown_keys_and_old_aaf():
    convert_weaktr = converter_module().convert_weaktr
    state = reference_weaktr_state()
    state['decoder.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='decoder.weight'):
        convert_weaktr(state)
    state = {
        k: v
        for k, v in reference_weaktr_state().items()
        if 'attn_feat_ffn' not in k
    }
    with pytest.raises(KeyError, match='attn_feat_ffn.*AAF_RandWeight'):
        convert_weaktr(state)


@pytest.mark.slow
def test_converter_cli_names_bad_sources(tmp_path):
    result = run_converter(tmp_path / 'absent.pth', tmp_path / 'out.pth')
    assert result.returncode != 0 and 'absent.pth' in result.stderr
    bad = tmp_path / 'not_a_state.pth'
    torch.save({'model': [1, 2]}, bad)
    result = run_converter(bad, tmp_path / 'out.pth')
    assert result.returncode != 0 and 'not_a_state.pth' in result.stderr
    assert not (tmp_path / 'out.pth').exists()
