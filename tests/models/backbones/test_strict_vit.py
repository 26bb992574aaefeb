"""StrictVisionTransformer loads converted DeiT / timm weights whole and
refuses checkpoints that do not fit, naming the keys."""
import importlib.util
from pathlib import Path

import pytest
import timm
import torch
from timm.models.vision_transformer import VisionTransformer as TimmViT

import mmseg
from semples_mmseg.models.backbones import StrictVisionTransformer

CONVERTER = (Path(mmseg.__file__).parent / '.mim' / 'tools' /
             'model_converters' / 'vit2mmseg.py')


def vit2mmseg():
    """mmseg's own converter (``convert_vit``), as users run it."""
    if not CONVERTER.is_file():
        pytest.skip(f'mmseg ships no {CONVERTER}')
    spec = importlib.util.spec_from_file_location('vit2mmseg', CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert_vit


def strict_vit(path, img_size=32, width=48, **kwargs):
    return StrictVisionTransformer(
        img_size=img_size, patch_size=16, embed_dims=width, num_layers=2,
        num_heads=2, with_cls_token=True, final_norm=True,
        norm_cfg=dict(type='LN', eps=1e-6), interpolate_mode='bilinear',
        patch_bias=True,
        init_cfg=dict(type='Pretrained', checkpoint=str(path)), **kwargs)


def timm_vit(width=48):
    torch.manual_seed(0)
    return TimmViT(img_size=32, patch_size=16, embed_dim=width, depth=2,
                   num_heads=2).eval()


def test_converted_weights_load_whole_and_give_timms_features(tmp_path):
    source = timm_vit()
    torch.save(vit2mmseg()(source.state_dict()), tmp_path / 'vit.pth')
    model = strict_vit(tmp_path / 'vit.pth')
    model.init_weights()
    model.eval()  # (mmseg's ViT.train() returns None: no chaining)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        ours = model(x)[-1]  # (1, 48, 2, 2) patch tokens, final norm
        theirs = source.forward_features(x)[:, 1:]  # (1, 4, 48)
    assert torch.allclose(ours.flatten(2).transpose(1, 2), theirs,
                          atol=1e-5)


def test_the_position_grid_is_resized_to_the_crop(tmp_path):
    torch.save(vit2mmseg()(timm_vit().state_dict()), tmp_path / 'vit.pth')
    model = strict_vit(tmp_path / 'vit.pth', img_size=64)
    model.init_weights()
    assert model.pos_embed.shape == (1, 1 + 4 * 4, 48)


def test_deit_small_names_fit_the_configs_encoder(tmp_path):
    deit = timm.create_model('deit_small_patch16_224', pretrained=False)
    state = vit2mmseg()({'model': deit.state_dict()}['model'])
    model = StrictVisionTransformer(
        img_size=(480, 480), embed_dims=384, num_layers=12, num_heads=6,
        with_cls_token=True, final_norm=True, patch_bias=True)
    model.check_state_dict(state, 'deit_small_converted.pth')
    assert state['pos_embed'].shape == (1, 901, 384)


def test_timm_names_are_refused_naming_the_keys(tmp_path):
    torch.save(timm_vit().state_dict(), tmp_path / 'timm_names.pth')
    model = strict_vit(tmp_path / 'timm_names.pth')
    with pytest.raises(ValueError) as info:
        model.init_weights()
    text = str(info.value)
    assert 'timm_names.pth' in text and 'vit2mmseg.py' in text
    assert 'missing: layers.0.attn.attn.in_proj_bias' in text
    assert 'unexpected: blocks.0.attn.proj.bias' in text


def test_wrong_shapes_are_refused_naming_them(tmp_path):
    torch.save(vit2mmseg()(timm_vit(width=32).state_dict()),
               tmp_path / 'narrow.pth')
    with pytest.raises(ValueError, match=r'wrong shapes: cls_token '
                       r'\(1, 1, 32\) \(model: \(1, 1, 48\)\)'):
        strict_vit(tmp_path / 'narrow.pth').init_weights()


def test_without_pretrained_weights_mmsegs_init_runs():
    model = StrictVisionTransformer(img_size=32, embed_dims=16,
                                    num_layers=1, num_heads=2)
    model.init_weights()
    assert model.cls_token.abs().sum() > 0
