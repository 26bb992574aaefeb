import open_clip
import pytest
import torch

from semples_mmseg.models.clip import BackgroundPromptLearner


def full_length(guide, learner):
    """Reference: the same sequence padded to the full 77-token context."""
    ids = learner.token_ids(guide)
    fixed = guide.token_embedding(ids)
    k, length, width = learner.prompts.shape
    pad = guide.token_embedding(torch.zeros(77 - ids.numel(),
                                            dtype=torch.long))
    seq = torch.cat([
        fixed[:4].expand(k, -1, -1), learner.prompts, fixed[-2:].expand(
            k, -1, -1),
        pad.expand(k, -1, -1)
    ],
                    dim=1)
    assert seq.shape[1] == 77
    eot = torch.full((k, ), learner.eot_index(guide))
    return guide.encode_token_embeddings(seq, eot)


def test_template_ids_and_eot_position(tiny_guide):
    learner = BackgroundPromptLearner(num_classes=2, embed_dims=16)
    ids = learner.token_ids(tiny_guide).tolist()
    assert ids[:4] == [49406, 320, 1125, 539]  # SOT "a photo of"
    assert ids[-2:] == [13, 49407]  # bare "." then EOT
    assert len(ids) == 36 and learner.eot_index(tiny_guide) == 30 + 5
    assert 0 <= learner.prompts.min() and learner.prompts.max() < 1


def test_truncated_sequence_equals_full_context(tiny_guide):
    torch.manual_seed(0)
    learner = BackgroundPromptLearner(num_classes=2, embed_dims=16)
    assert torch.allclose(learner(tiny_guide),
                          full_length(tiny_guide, learner),
                          atol=1e-5)


def test_gradients_reach_prompts_only(tiny_guide, device):
    learner = BackgroundPromptLearner(num_classes=2,
                                      prompt_length=4,
                                      embed_dims=16).to(device)
    u = learner(tiny_guide.to(device))
    assert u.shape == (2, 16) and u.device == learner.prompts.device
    (u * tiny_guide.class_text_features).sum().backward()
    assert learner.prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_guide.clip.parameters())


def test_dot_token_is_an_option(tiny_guide):
    learner = BackgroundPromptLearner(num_classes=1,
                                      prompt_length=2,
                                      embed_dims=16,
                                      dot_token_id=269)
    assert learner.token_ids(tiny_guide).tolist()[-2] == 269


def test_width_mismatch_is_named(tiny_guide):
    learner = BackgroundPromptLearner(num_classes=1, embed_dims=512)
    with pytest.raises(ValueError, match='512.*16'):
        learner(tiny_guide)


def test_open_clip_tokenizer_dot_ids():
    """13 is the bare "." symbol; "x." ends in 269 (the word-final ".</w>")."""
    tokenizer = open_clip.SimpleTokenizer()
    assert tokenizer.decoder[13] == '.'
    assert tokenizer.decoder[269] == '.</w>'
    assert tokenizer.encode('a photo of cat.')[-1] == 269
    assert tokenizer.encode('a photo of') == [320, 1125, 539]
    assert BackgroundPromptLearner(num_classes=1).dot_token_id == 13


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_prompt_gradients_under_autocast(tiny_guide, device, dtype):
    learner = BackgroundPromptLearner(num_classes=2,
                                      prompt_length=3,
                                      embed_dims=16).to(device)
    tiny_guide.to(device)
    plain = learner(tiny_guide)
    with torch.autocast(device.type, dtype=dtype):
        u = learner(tiny_guide)
    assert learner.prompts.dtype == torch.float32  # fp32 master weights
    assert torch.allclose(u.float(), plain, atol=0.05)
    u.float().sum().backward()
    assert learner.prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_guide.clip.parameters())


def test_dot_token_outside_the_vocabulary_is_named(tiny_guide):
    learner = BackgroundPromptLearner(num_classes=1,
                                      prompt_length=2,
                                      embed_dims=16,
                                      dot_token_id=49408)
    with pytest.raises(ValueError, match='dot_token_id 49408'):
        learner(tiny_guide)


def test_registered_and_built_from_config(tiny_guide):
    from mmseg.registry import MODELS
    learner = MODELS.build(
        dict(type='BackgroundPromptLearner',
             num_classes=2,
             prompt_length=3,
             embed_dims=16))
    assert learner.prompts.shape == (2, 3, 16)
    assert learner(tiny_guide).shape == (2, 16)


def test_template_ids_are_made_once_per_device(tiny_guide, device,
                                               monkeypatch):
    learner = BackgroundPromptLearner(num_classes=2, prompt_length=3,
                                      embed_dims=16).to(device)
    tiny_guide.to(device)
    calls = []
    original = learner.token_ids
    monkeypatch.setattr(learner, 'token_ids',
                        lambda guide: calls.append(1) or original(guide))
    first = learner(tiny_guide)
    assert torch.equal(learner(tiny_guide), first) and calls == [1]
    ids, = learner._ids_cache.values()
    assert ids.device == learner.prompts.device
    learner.prompts.data = learner.prompts.data.double()  # a cast: same ids
    learner(tiny_guide.double())
    assert calls == [1]
    learner.prompts.data = learner.prompts.data[:, :2]  # L = 2: new ids
    learner(tiny_guide)
    assert calls == [1, 1]
