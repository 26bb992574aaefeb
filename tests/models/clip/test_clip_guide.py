import copy

import open_clip
import pytest
import torch
import torch.nn.functional as F

from semples_mmseg.models.clip import FrozenCLIPGuide


def test_clip_is_frozen_hidden_and_stays_in_eval(tiny_guide):
    assert list(tiny_guide.parameters()) == []
    assert tiny_guide.state_dict() == {}
    tiny_guide.train()
    assert tiny_guide.training and not tiny_guide.clip.training
    assert not any(p.requires_grad for p in tiny_guide.clip.parameters())


def test_images_get_gradients_weights_do_not(tiny_guide):
    x = torch.randn(3, 3, 16, 16, requires_grad=True)
    emb = tiny_guide.encode_images(x)
    assert emb.shape == (3, 16)
    assert torch.allclose(emb.norm(dim=1), torch.ones(3), atol=1e-5)
    emb.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_guide.clip.parameters())


def test_class_texts_use_the_template_with_period(tiny_guide):
    texts = ['a photo of cat.', 'a photo of dining table.']
    ids = open_clip.tokenize(texts)
    expected = F.normalize(tiny_guide.clip.encode_text(ids), dim=-1)
    assert torch.allclose(tiny_guide.class_text_features, expected, atol=1e-6)
    assert torch.allclose(tiny_guide.encode_texts(texts), expected, atol=1e-6)


def test_texts_are_encoded_once(tiny_guide, monkeypatch):
    calls = []
    original = tiny_guide.clip.encode_text
    monkeypatch.setattr(tiny_guide.clip, 'encode_text',
                        lambda ids: calls.append(1) or original(ids))
    a = tiny_guide.encode_texts(['a photo of tree.', 'a photo of sea.'])
    b = tiny_guide.encode_texts(['a photo of tree.', 'a photo of sea.'])
    assert a is b and len(calls) == 1


def test_token_embedding_path_equals_encode_text(tiny_guide):
    ids = open_clip.tokenize(['a photo of cat.'])
    eot = ids.argmax(dim=-1)
    via_embeds = tiny_guide.encode_token_embeddings(
        tiny_guide.token_embedding(ids), eot)
    assert torch.allclose(via_embeds,
                          tiny_guide.class_text_features[:1],
                          atol=1e-6)


def test_module_casts_move_the_hidden_clip(tiny_guide):
    tiny_guide.double()
    assert next(tiny_guide.clip.parameters()).dtype == torch.float64
    assert tiny_guide.class_text_features.dtype == torch.float64


def test_local_state_dict_file_reproduces_the_model(tmp_path, tiny_guide,
                                                    tiny_clip_cfg):
    path = tmp_path / 'tiny_clip.pt'
    torch.save({'state_dict': tiny_guide.clip.state_dict()}, path)
    loaded = FrozenCLIPGuide(class_names=['cat', 'dining table'],
                             pretrained=str(path),
                             model_cfg=tiny_clip_cfg)
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(loaded.encode_images(x),
                          tiny_guide.encode_images(x),
                          atol=1e-6)
    assert torch.allclose(loaded.class_text_features,
                          tiny_guide.class_text_features,
                          atol=1e-6)


def test_weights_of_another_shape_name_the_file(tmp_path, tiny_guide,
                                                tiny_clip_cfg):
    path = tmp_path / 'other.pt'
    torch.save({'visual.proj': torch.zeros(1)}, path)
    with pytest.raises(ValueError, match='other.pt'):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained=str(path),
                        model_cfg=tiny_clip_cfg)


def test_missing_keys_name_the_file(tmp_path, tiny_guide, tiny_clip_cfg):
    path = tmp_path / 'partial.pt'
    state = dict(tiny_guide.clip.state_dict())
    state.pop('ln_final.weight')
    torch.save(state, path)
    with pytest.raises(ValueError, match='partial.pt.*ln_final.weight'):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained=str(path),
                        model_cfg=tiny_clip_cfg)


def test_missing_weights_fail_at_build_naming_the_path(tmp_path):
    missing = str(tmp_path / 'ViT-B-32.pt')
    with pytest.raises(FileNotFoundError, match='ViT-B-32.pt'):
        FrozenCLIPGuide(class_names=['cat'], pretrained=missing)


def test_unknown_tag_lists_the_tags():
    with pytest.raises(ValueError, match="'nonsense'.*openai"):
        FrozenCLIPGuide(class_names=['cat'], pretrained='nonsense')


def test_requires_grad_on_the_guide_leaves_clip_frozen(tiny_guide):
    tiny_guide.requires_grad_(True)
    assert not any(p.requires_grad for p in tiny_guide.clip.parameters())


def test_empty_image_batch_stays_in_the_graph(tiny_guide):
    x = torch.randn(0, 3, 16, 16, requires_grad=True)
    emb = tiny_guide.encode_images(x)
    assert emb.shape == (0, 16)
    emb.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_guide_works_under_autocast(tiny_guide):
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    plain = tiny_guide.encode_images(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        emb = tiny_guide.encode_images(x)
        texts = tiny_guide.encode_texts(['a photo of sea.'])
        ids = open_clip.tokenize(['a photo of cat.'])
        via_embeds = tiny_guide.encode_token_embeddings(
            tiny_guide.token_embedding(ids), ids.argmax(dim=-1))
    assert emb.dtype == torch.bfloat16
    assert torch.allclose(emb.float(), plain, atol=0.05)
    emb.float().sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_guide.clip.parameters())
    # cached constant texts are encoded in float32, not in autocast's dtype
    assert texts.dtype == torch.float32
    assert tiny_guide.encode_texts(['a photo of sea.']) is texts
    assert torch.allclose(via_embeds.float(),
                          tiny_guide.class_text_features[:1],
                          atol=0.05)


def test_openai_torchscript_archive_loads(tmp_path, tiny_guide, tiny_clip_cfg):
    # An OpenAI-style release: a TorchScript archive whose state dict also
    # holds input_resolution (and every buffer, the causal mask included).
    clip = copy.deepcopy(tiny_guide.clip)
    clip.register_buffer('input_resolution', torch.tensor(16))
    traced = torch.jit.trace_module(
        clip, {'encode_image': torch.randn(1, 3, 16, 16)})
    path = tmp_path / 'tiny-openai.pt'
    traced.save(str(path))
    loaded = FrozenCLIPGuide(class_names=['cat', 'dining table'],
                             pretrained=str(path),
                             model_cfg=tiny_clip_cfg,
                             quick_gelu=False)
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(loaded.encode_images(x),
                          tiny_guide.encode_images(x),
                          atol=1e-6)
    assert torch.allclose(loaded.class_text_features,
                          tiny_guide.class_text_features,
                          atol=1e-6)


def test_torchscript_archive_defaults_to_quick_gelu(tmp_path, tiny_guide,
                                                    tiny_clip_cfg):
    traced = torch.jit.trace_module(
        tiny_guide.clip, {'encode_image': torch.randn(1, 3, 16, 16)})
    path = tmp_path / 'tiny-openai.pt'
    traced.save(str(path))
    loaded = FrozenCLIPGuide(class_names=['cat'],
                             pretrained=str(path),
                             model_cfg=tiny_clip_cfg)
    act = loaded.clip.transformer.resblocks[0].mlp.gelu
    assert type(act).__name__ == 'QuickGELU'


def test_unreadable_weights_name_the_file(tmp_path, tiny_clip_cfg):
    path = tmp_path / 'broken.pth'
    path.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='broken.pth'):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained=str(path),
                        model_cfg=tiny_clip_cfg)


def test_failed_download_names_tag_and_cache(monkeypatch, tmp_path):

    def offline(*args, **kwargs):
        raise OSError('no internet')

    monkeypatch.setattr(open_clip, 'create_model', offline)
    with pytest.raises(RuntimeError,
                       match=f"'openai'.*{tmp_path}.*no internet"):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained='openai',
                        cache_dir=str(tmp_path))


def test_a_model_without_clip_text_tower_is_refused(monkeypatch):
    monkeypatch.setattr(open_clip, 'create_model',
                        lambda *args, **kwargs: torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match='ViT-B-32 builds a Linear'):
        FrozenCLIPGuide(class_names=['cat'], pretrained=None)


def test_a_tag_with_model_cfg_is_refused(tiny_clip_cfg):
    with pytest.raises(ValueError, match="'openai' with model_cfg"):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained='openai',
                        model_cfg=tiny_clip_cfg)


def test_bad_class_names_and_template_are_named(tiny_clip_cfg):
    with pytest.raises(ValueError, match='class_names'):
        FrozenCLIPGuide(class_names=[],
                        pretrained=None,
                        model_cfg=tiny_clip_cfg)
    with pytest.raises(ValueError, match="'a photo.'"):
        FrozenCLIPGuide(class_names=['cat'],
                        pretrained=None,
                        model_cfg=tiny_clip_cfg,
                        template='a photo.')


def test_image_size_and_pixel_statistics(tiny_guide):
    assert tiny_guide.image_size == 16
    assert tiny_guide.image_mean == pytest.approx(
        (0.48145466, 0.4578275, 0.40821073))
    assert tiny_guide.image_std == pytest.approx(
        (0.26862954, 0.26130258, 0.27577711))


def test_token_sequences_longer_than_the_context_are_named(tiny_guide):
    embeds = torch.zeros(1, 78, 16)
    with pytest.raises(ValueError, match=r'\(1, 78, 16\).*T <= 77'):
        tiny_guide.encode_token_embeddings(embeds, torch.tensor([5]))
    with pytest.raises(ValueError, match=r'eot_index \(2,\)'):
        tiny_guide.encode_token_embeddings(embeds[:, :8], torch.tensor([5, 6]))
