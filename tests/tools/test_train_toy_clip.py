import importlib.util
import os
from pathlib import Path

import open_clip
import pytest
import torch

from semples_mmseg.models.clip import FrozenCLIPGuide
from semples_mmseg.models.clip.toy_clip import (TOY_CLIP_CFG, cache_root,
                                                toy_clip_cache_path)

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'train_toy_clip', REPO / 'tools' / 'cooccur' / 'train_toy_clip.py')
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

TINY_MODEL = dict(
    embed_dim=16,
    vision_cfg=dict(image_size=16, patch_size=8, width=32, layers=1,
                    head_width=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=16, heads=1,
                  layers=1))
TINY_TRAIN = dict(steps=6, batch_size=32, lr=3e-3, warmup=1, num_layouts=24,
                  num_world=8, image_size=32, threads=1)


def test_short_text_encoding_equals_open_clip():
    torch.manual_seed(0)
    model = open_clip.CLIP(**TINY_MODEL).eval()
    ids = open_clip.SimpleTokenizer()(
        ['a photo of a boat on water.', 'a photo of snow.'])
    with torch.no_grad():
        torch.testing.assert_close(
            tool.encode_texts(model, ids), model.encode_text(ids))


def test_contrastive_loss_by_hand():
    one = torch.tensor(1.)
    # distinct captions: logits = identity both ways, CE = log(e + 1) - 1
    loss = tool.contrastive_loss(torch.eye(2), torch.eye(2),
                                 torch.tensor([0, 1]), one)
    torch.testing.assert_close(loss, torch.log(torch.e + one) - 1)
    # one caption shared by two images: image->text has a single class (0);
    # text->image targets (0.5, 0.5) over equal logits: log 2; mean of both
    loss = tool.contrastive_loss(
        torch.tensor([[1., 0.], [1., 0.]]), torch.tensor([[1., 0.]]),
        torch.tensor([0, 0]), one)
    torch.testing.assert_close(loss, torch.log(torch.tensor(2.)) / 2)


def test_tiny_run_learns_writes_loadable_file_and_reuses_cache(
        tmp_path, monkeypatch):
    monkeypatch.setenv('SEMPLES_CACHE', str(tmp_path / 'cache'))
    logs = []
    first = tool.ensure_toy_clip(
        model_cfg=TINY_MODEL, eval_layouts=12, log=logs.append, **TINY_TRAIN)
    path = Path(first['path'])
    assert first['trained'] is True
    assert path.parent == tmp_path / 'cache' / 'toy_clip'
    assert path == Path(toy_clip_cache_path(first['config']))
    m = first['metrics']
    assert m['last_loss'] < m['first_loss'] - 0.1
    assert {'object_at_home', 'masked_object', 'scene',
            'bias_scene_as_object'} <= set(m)
    assert any('ETA' in line for line in logs)
    # a plain state dict that open_clip.CLIP(**cfg) loads strictly
    state = torch.load(path, weights_only=True)
    model = open_clip.CLIP(**TINY_MODEL)
    model.load_state_dict(state)
    # and the frozen CLIP guide takes it as model_cfg + local file
    guide = FrozenCLIPGuide(
        class_names=['boat', 'bird'], pretrained=str(path),
        model_cfg=TINY_MODEL)
    assert guide.class_text_features.shape == (2, 16)
    mtime = os.stat(path).st_mtime_ns
    second = tool.ensure_toy_clip(
        model_cfg=TINY_MODEL, eval_layouts=12, log=logs.append, **TINY_TRAIN)
    assert second['trained'] is False and second['path'] == str(path)
    assert second['metrics'] == pytest.approx(m)
    assert os.stat(path).st_mtime_ns == mtime
    # another seed is another file
    other = Path(toy_clip_cache_path(
        tool.train_config(TINY_MODEL, **dict(TINY_TRAIN, seed=1))))
    assert other != path


def test_training_is_deterministic():
    cfg = tool.train_config(TINY_MODEL, **dict(TINY_TRAIN, steps=2))
    a = tool.train_toy_clip(cfg, log=lambda s: None)
    b = tool.train_toy_clip(cfg, log=lambda s: None)
    assert a['losses'] == b['losses']
    for (k, va), vb in zip(a['model'].state_dict().items(),
                           b['model'].state_dict().values()):
        assert torch.equal(va, vb), k


def test_cache_location_and_bad_options(monkeypatch):
    monkeypatch.delenv('SEMPLES_CACHE', raising=False)
    assert cache_root() == os.path.join(
        os.path.expanduser('~'), '.cache', 'semples_mmseg')
    cfg = tool.train_config()
    assert cfg['model_cfg'] == TOY_CLIP_CFG
    assert toy_clip_cache_path(cfg) == toy_clip_cache_path(
        tool.train_config())
    assert toy_clip_cache_path(cfg) != toy_clip_cache_path(
        tool.train_config(steps=cfg['steps'] + 1))
    with pytest.raises(ValueError, match='stepz'):
        tool.train_config(stepz=3)
