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


def test_images_get_gradients_weights_do_not(tiny_guide, device):
    tiny_guide.to(device)  # before CLIP is built: it builds there
    x = torch.randn(3, 3, 32, 32, device=device, requires_grad=True)
    emb = tiny_guide.encode_images(x)
    assert emb.shape == (3, 16) and emb.device == x.device
    assert torch.allclose(emb.norm(dim=1), x.new_ones(3), atol=1e-5)
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
                             model_cfg=tiny_clip_cfg,
                             quick_gelu=False)
    x = torch.randn(2, 3, 32, 32)
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
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg, quick_gelu=False)
    with pytest.raises(ValueError, match='other.pt do not fit model_cfg'):
        guide.build()


def test_missing_keys_name_the_file(tmp_path, tiny_guide, tiny_clip_cfg):
    path = tmp_path / 'partial.pt'
    state = dict(tiny_guide.clip.state_dict())
    state.pop('ln_final.weight')
    torch.save(state, path)
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg, quick_gelu=False)
    with pytest.raises(ValueError, match='(?s)partial.pt.*ln_final.weight'):
        guide.build()


def test_missing_weights_fail_at_init_weights_naming_the_path(tmp_path):
    missing = str(tmp_path / 'ViT-B-32.pt')
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=missing)
    assert not guide.is_built  # constructing reads no file
    with pytest.raises(FileNotFoundError, match='ViT-B-32.pt does not exist'):
        guide.init_weights()  # what mmengine's Runner calls before training
    assert not guide.is_built
    with pytest.raises(FileNotFoundError, match='ViT-B-32.pt'):
        guide.encode_images(torch.zeros(1, 3, 224, 224))  # or first use


def test_unknown_tag_and_arch_are_named_at_construction():
    with pytest.raises(ValueError, match="'nonsense'.*openai"):
        FrozenCLIPGuide(class_names=['cat'], pretrained='nonsense')
    with pytest.raises(ValueError, match="arch='ViT-Q-99'"):
        FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                        arch='ViT-Q-99')


def test_requires_grad_on_the_guide_leaves_clip_frozen(tiny_guide):
    tiny_guide.requires_grad_(True)
    assert not any(p.requires_grad for p in tiny_guide.clip.parameters())


def test_empty_image_batch_stays_in_the_graph(tiny_guide):
    x = torch.randn(0, 3, 32, 32, requires_grad=True)
    emb = tiny_guide.encode_images(x)
    assert emb.shape == (0, 16)
    emb.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_guide_works_under_autocast(tiny_guide, device):
    tiny_guide.to(device)
    x = torch.randn(2, 3, 32, 32, device=device, requires_grad=True)
    plain = tiny_guide.encode_images(x)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        emb = tiny_guide.encode_images(x)
        texts = tiny_guide.encode_texts(['a photo of sea.'])
        ids = open_clip.tokenize(['a photo of cat.']).to(device)
        via_embeds = tiny_guide.encode_token_embeddings(
            tiny_guide.token_embedding(ids), ids.argmax(dim=-1))
    assert emb.dtype == torch.float32  # bf16 features, normalised in fp32
    assert torch.allclose(emb, plain, atol=0.05)
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
    clip.register_buffer('input_resolution', torch.tensor(32))
    traced = torch.jit.trace_module(
        clip, {'encode_image': torch.randn(1, 3, 32, 32)})
    path = tmp_path / 'tiny-openai.pt'
    traced.save(str(path))
    loaded = FrozenCLIPGuide(class_names=['cat', 'dining table'],
                             pretrained=str(path),
                             model_cfg=tiny_clip_cfg,
                             quick_gelu=False)
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(loaded.encode_images(x),
                          tiny_guide.encode_images(x),
                          atol=1e-6)
    assert torch.allclose(loaded.class_text_features,
                          tiny_guide.class_text_features,
                          atol=1e-6)


def test_torchscript_archive_defaults_to_quick_gelu(tmp_path, tiny_guide,
                                                    tiny_clip_cfg):
    traced = torch.jit.trace_module(
        tiny_guide.clip, {'encode_image': torch.randn(1, 3, 32, 32)})
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
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg, quick_gelu=False)
    with pytest.raises(ValueError, match='could not read CLIP weights .*'
                       'broken.pth'):
        guide.build()


def test_failed_download_names_tag_and_cache(monkeypatch, tmp_path):

    def offline(*args, **kwargs):
        raise OSError('no internet')

    monkeypatch.setattr(open_clip, 'create_model', offline)
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained='openai',
                            cache_dir=str(tmp_path))
    with pytest.raises(RuntimeError,
                       match=f"'openai'.*{tmp_path}.*no internet"):
        guide.init_weights()


def test_a_model_without_clip_text_tower_is_refused(monkeypatch):
    monkeypatch.setattr(open_clip, 'create_model',
                        lambda *args, **kwargs: torch.nn.Linear(2, 2))
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None)
    with pytest.raises(ValueError, match='ViT-B-32 builds a Linear'):
        guide.build()


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
    assert tiny_guide.image_size == 32
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


# ---------------------------------------------------------------------------
# lazy building: constructing a guide reads and builds nothing


def forbid_building_clip(monkeypatch):
    """Every way open_clip builds a model raises: a test fails if used."""

    def refuse(*args, **kwargs):
        raise AssertionError('CLIP was built')

    for name in ('create_model', 'create_model_and_transforms',
                 'create_model_from_pretrained', 'CLIP'):
        monkeypatch.setattr(open_clip, name, refuse)


def test_construction_builds_no_clip_and_reads_no_file(monkeypatch,
                                                       tmp_path):
    forbid_building_clip(monkeypatch)
    for kwargs in (dict(pretrained='openai'),
                   dict(pretrained=str(tmp_path / 'absent.pt')),
                   dict(pretrained=None, arch=None,
                        model_cfg=dict(embed_dim=16))):
        guide = FrozenCLIPGuide(class_names=['cat'], **kwargs)
        guide.to(torch.float64).train()
        assert not guide.is_built
        assert guide.state_dict() == {} and list(guide.parameters()) == []


def test_lazy_build_follows_earlier_casts_and_keeps_the_rng(tiny_clip_cfg):
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg)
    guide.double()  # before CLIP exists
    torch.manual_seed(3)
    before = torch.get_rng_state()
    guide.init_weights()
    assert torch.equal(torch.get_rng_state(), before)
    assert next(guide.clip.parameters()).dtype == torch.float64
    assert guide.class_text_features.dtype == torch.float64
    assert guide.class_text_features.shape == (1, 16)
    # a second init_weights keeps the model
    clip = guide.clip
    guide.init_weights()
    assert guide.clip is clip


def test_lazy_build_lands_on_the_module_device_and_moves_with_it(
        tiny_clip_cfg, device):
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg)
    guide.to(device=device, dtype=torch.float64)  # before CLIP exists
    weight = guide.clip.visual.conv1.weight
    assert (weight.device.type, weight.dtype) == (device.type, torch.float64)
    feats = guide.class_text_features
    assert (feats.device.type, feats.dtype) == (device.type, torch.float64)
    x = torch.randn(2, 3, 32, 32, device=device, dtype=torch.float64)
    assert guide.encode_images(x).dtype == torch.float64
    u = guide.encode_texts(['a photo of sea.'])
    assert (u.device.type, u.dtype) == (device.type, torch.float64)
    guide.to(device='cpu', dtype=torch.float32)  # a built CLIP moves too
    assert all(p.device.type == 'cpu' and p.dtype == torch.float32
               for p in guide.clip.parameters())
    assert guide.class_text_features.device.type == 'cpu'
    assert guide.encode_texts(['a photo of sea.']).dtype == torch.float32
    assert guide.encode_images(x.cpu().float()).dtype == torch.float32


def test_first_use_under_inference_mode_builds_normal_tensors(tiny_guide):
    with torch.inference_mode():
        tiny_guide.encode_images(torch.randn(1, 3, 32, 32))
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    tiny_guide.encode_images(x).sum().backward()  # usable with autograd
    assert x.grad is not None


# ---------------------------------------------------------------------------
# QuickGELU: which activation a weights file is built with


def tiny_clip(tiny_clip_cfg, quick_gelu):
    torch.manual_seed(0)
    return open_clip.CLIP(**tiny_clip_cfg, quick_gelu=quick_gelu).eval()


def activation(guide):
    return type(guide.clip.transformer.resblocks[0].mlp.gelu).__name__


def embeddings(model, x, ids):
    with torch.no_grad():
        return (model.encode_image(x, normalize=True),
                F.normalize(model.encode_text(ids), dim=-1))


def test_openai_state_dict_file_builds_with_quick_gelu(tmp_path,
                                                       tiny_clip_cfg):
    source = tiny_clip(tiny_clip_cfg, quick_gelu=True)
    # what torch.save(torch.jit.load('ViT-B-32.pt').state_dict()) writes:
    # every weight plus OpenAI's three extra entries
    state = dict(source.state_dict(), input_resolution=torch.tensor(32),
                 context_length=torch.tensor(77),
                 vocab_size=torch.tensor(49408))
    torch.save(state, tmp_path / 'openai_sd.pt')
    guide = FrozenCLIPGuide(class_names=['cat'],
                            pretrained=str(tmp_path / 'openai_sd.pt'),
                            model_cfg=tiny_clip_cfg)
    assert activation(guide) == 'QuickGELU'
    x, ids = torch.randn(2, 3, 32, 32), open_clip.tokenize(['a photo of cat.'])
    img, txt = embeddings(source, x, ids)
    assert torch.allclose(guide.encode_images(x), img, atol=1e-6)
    assert torch.allclose(guide.class_text_features, txt, atol=1e-6)


def test_plain_state_dict_needs_quick_gelu_set(tmp_path, tiny_clip_cfg):
    source = tiny_clip(tiny_clip_cfg, quick_gelu=True)
    path = tmp_path / 'plain.pt'
    torch.save(source.state_dict(), path)
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg)
    with pytest.raises(ValueError, match=r'plain.pt are a plain state dict.*'
                       r'clip_guide.quick_gelu=True.*quick_gelu=False'):
        guide.init_weights()
    x, ids = torch.randn(2, 3, 32, 32), open_clip.tokenize(['a photo of cat.'])
    img, _ = embeddings(source, x, ids)
    right = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg, quick_gelu=True)
    assert activation(right) == 'QuickGELU'
    assert torch.allclose(right.encode_images(x), img, atol=1e-6)
    # the wrong activation builds without complaint and is measurably off:
    # why the format is never guessed
    wrong = FrozenCLIPGuide(class_names=['cat'], pretrained=str(path),
                            model_cfg=tiny_clip_cfg, quick_gelu=False)
    assert activation(wrong) == 'GELU'
    assert (wrong.encode_images(x) - img).abs().max() > 1e-4


def test_quick_gelu_in_model_cfg_counts_and_conflicts_are_named(
        tmp_path, tiny_clip_cfg):
    source = tiny_clip(tiny_clip_cfg, quick_gelu=True)
    torch.save(source.state_dict(), tmp_path / 'plain.pt')
    guide = FrozenCLIPGuide(class_names=['cat'],
                            pretrained=str(tmp_path / 'plain.pt'),
                            model_cfg=dict(tiny_clip_cfg, quick_gelu=True))
    assert activation(guide) == 'QuickGELU'
    with pytest.raises(ValueError, match='model_cfg.quick_gelu=True and '
                       'quick_gelu=False disagree'):
        FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                        model_cfg=dict(tiny_clip_cfg, quick_gelu=True),
                        quick_gelu=False)


def test_random_weights_and_tags_keep_their_defaults(tiny_clip_cfg,
                                                     monkeypatch):
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg)
    assert activation(guide) == 'GELU'
    seen = {}

    def fake_create(arch, pretrained=None, force_quick_gelu=False, **kw):
        seen[pretrained] = force_quick_gelu
        return tiny_clip(tiny_clip_cfg, force_quick_gelu)

    monkeypatch.setattr(open_clip, 'create_model', fake_create)
    monkeypatch.setattr(open_clip, 'get_tokenizer',
                        lambda arch: open_clip.SimpleTokenizer())
    FrozenCLIPGuide(class_names=['cat'], pretrained='openai').build()
    FrozenCLIPGuide(class_names=['cat'],
                    pretrained='laion2b_s34b_b79k').build()
    assert seen == {'openai': True, 'laion2b_s34b_b79k': False}


def test_compiled_image_tower_gives_the_same_embeddings(tiny_clip_cfg):
    """compile_image_tower (opt-in): torch.compile of the tower over the
    same weights. Tested with the aot_eager backend (dynamo's graph capture
    and AOTAutograd, no C++ code generation: seconds on a CPU)."""
    import torch._dynamo
    plain = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg)
    assert plain.compile_image_tower is False
    torch._dynamo.reset()
    guide = FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                            model_cfg=tiny_clip_cfg,
                            compile_image_tower=dict(backend='aot_eager'))
    for g in (plain, guide):  # the same random weights
        torch.manual_seed(0)
        g.build()
    tower = guide.image_tower
    assert isinstance(tower, torch._dynamo.eval_frame.OptimizedModule)
    assert guide.image_tower is tower  # compiled once
    assert guide.state_dict() == {} and list(guide.parameters()) == []
    for n in (3, 5):  # the number of masked images varies per step
        x = torch.randn(n, 3, 32, 32, requires_grad=True)
        out = guide.encode_images(x)
        ref = plain.encode_images(x)
        assert torch.allclose(out, ref, atol=1e-6)
        g, = torch.autograd.grad(out.sum(), x)
        g_ref, = torch.autograd.grad(ref.sum(), x)
        assert torch.allclose(g, g_ref, atol=1e-6) and g.abs().max() > 0
    assert all(p.grad is None for p in guide.clip.parameters())
    with pytest.raises(TypeError, match="compile_image_tower.*'yes'"):
        FrozenCLIPGuide(class_names=['cat'], pretrained=None,
                        model_cfg=tiny_clip_cfg, compile_image_tower='yes')


def test_embeddings_are_normalised_in_at_least_float32(tiny_guide):
    from semples_mmseg.models.clip.clip_guide import normalize_features
    big = torch.full((2, 16), 100., dtype=torch.float16)  # |x|^2 = 1.6e5
    assert torch.isinf((big * big).sum(-1)).all()  # overflows in fp16
    out = normalize_features(big)
    assert out.dtype == torch.float32
    assert torch.allclose(out, torch.full((2, 16), 0.25))
    assert normalize_features(big.double()).dtype == torch.float64
