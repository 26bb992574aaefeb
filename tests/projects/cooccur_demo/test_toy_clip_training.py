"""The toy CLIP's training: the loss by hand, a tiny run that learns and is
cached by its configuration, the model config read from the demo's configs."""
import json
import os
from pathlib import Path

import open_clip
import pytest
import torch

from cooccur_demo import toy_clip_training as tool
from cooccur_demo.toy_clip import cache_root, clip_model_cfg, toy_clip_path
from cooccur_demo.world import write_world
from fixtures import tiny_clip_cfg
from semples_mmseg.models.clip import FrozenCLIPGuide

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / 'projects' / 'cooccur_demo' / 'configs'
TINY_MODEL = tiny_clip_cfg(image_size=16)
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


@pytest.mark.slow
def test_tiny_run_learns_writes_loadable_file_and_reuses_cache(
        tmp_path, monkeypatch):
    monkeypatch.setenv('SEMPLES_CACHE', str(tmp_path / 'cache'))
    logs = []
    first = tool.ensure_toy_clip(
        model_cfg=TINY_MODEL, eval_layouts=12, log=logs.append, **TINY_TRAIN)
    path = Path(first['path'])
    assert first['trained'] is True
    assert path.parent == tmp_path / 'cache' / 'toy_clip'
    assert path == Path(toy_clip_path(first['config']))
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
        model_cfg=TINY_MODEL, quick_gelu=False)
    assert guide.class_text_features.shape == (2, 16)
    mtime = os.stat(path).st_mtime_ns
    second = tool.ensure_toy_clip(
        model_cfg=TINY_MODEL, eval_layouts=12, log=logs.append, **TINY_TRAIN)
    assert second['trained'] is False and second['path'] == str(path)
    assert second['metrics'] == pytest.approx(m)
    assert os.stat(path).st_mtime_ns == mtime
    # another seed is another file
    other = Path(toy_clip_path(
        tool.train_config(TINY_MODEL, **dict(TINY_TRAIN, seed=1))))
    assert other != path


@pytest.mark.slow
def test_training_is_deterministic():
    cfg = tool.train_config(TINY_MODEL, **dict(TINY_TRAIN, steps=2))
    a = tool.fit_toy_clip(cfg, log=lambda s: None)
    b = tool.fit_toy_clip(cfg, log=lambda s: None)
    assert a['losses'] == b['losses']
    for (k, va), vb in zip(a['model'].state_dict().items(),
                           b['model'].state_dict().values()):
        assert torch.equal(va, vb), k


def test_cache_location_and_bad_options(monkeypatch):
    monkeypatch.delenv('SEMPLES_CACHE', raising=False)
    assert cache_root() == os.path.join(
        os.path.expanduser('~'), '.cache', 'semples_mmseg')
    cfg = tool.train_config(TINY_MODEL)
    assert cfg['model_cfg'] == TINY_MODEL
    assert toy_clip_path(cfg) == toy_clip_path(tool.train_config(TINY_MODEL))
    assert toy_clip_path(cfg) != toy_clip_path(
        tool.train_config(TINY_MODEL, epochs=cfg['epochs'] + 1))
    with pytest.raises(ValueError, match='stepz'):
        tool.train_config(TINY_MODEL, stepz=3)


def test_the_demo_configs_build_one_toy_clip():
    """The toy CLIP is written once (configs/_base_/models/toy_clip.py):
    the CLIP the SemPLeS and the CLIMS configs build is the one trained."""
    semples = clip_model_cfg(str(CONFIGS / 'semples/toy_cooccur.py'))
    clims = clip_model_cfg(str(CONFIGS / 'clims/toy_cooccur.py'))
    assert semples == clims
    open_clip.CLIP(**semples)  # plain open_clip keyword arguments
    with pytest.raises(KeyError, match='toy_cooccur.py'):
        clip_model_cfg(str(CONFIGS / 'weaktr/toy_cooccur.py'))


@pytest.mark.slow
def test_train_from_a_world_folder_caches_by_world_and_seed(
        tmp_path, monkeypatch):
    monkeypatch.setenv('SEMPLES_CACHE', str(tmp_path / 'cache'))
    world = tmp_path / 'world'
    write_world(str(world), num_train=8, num_val=4, image_size=32,
                cooccur_prob=0.9, seed=5)
    logs = []
    kwargs = dict(model_cfg=TINY_MODEL, eval_layouts=6, log=logs.append,
                  batch_size=32, num_layouts=12, num_world=4, threads=1)
    path = tool.train_toy_clip(str(world), epochs=2, **kwargs)
    # 12 * 4 + 4 rendered pairs + the world's 8 train images, 2 epochs of 32
    assert any('60 pairs' in line and '4 steps' in line for line in logs)
    meta = json.loads(Path(path).with_suffix('.json').read_text())
    cfg = meta['config']
    assert cfg['world']['seed'] == 5 and cfg['cooccur_prob'] == 0.9
    assert cfg['image_size'] == 32 and cfg['epochs'] == 2
    assert path == toy_clip_path(cfg)
    assert Path(path).parent == tmp_path / 'cache' / 'toy_clip'
    assert {'world_val_object', 'object_at_home', 'scene'} <= set(
        meta['metrics'])
    open_clip.CLIP(**TINY_MODEL).load_state_dict(
        torch.load(path, weights_only=True))
    # the second call reuses the file without training
    mtime = os.stat(path).st_mtime_ns
    logs.clear()
    assert tool.train_toy_clip(str(world), epochs=2, **kwargs) == path
    assert os.stat(path).st_mtime_ns == mtime
    assert not any('step' in line for line in logs)
    assert any('reusing' in line for line in logs)
    # another seed or another world is another file
    assert toy_clip_path(dict(cfg, seed=1)) != path
    assert toy_clip_path(dict(cfg, world=dict(cfg['world'], seed=6))) != path
    # an explicit --out trained with other settings is not reused
    out = tmp_path / 'mine.pt'
    tool.train_toy_clip(str(world), out=str(out), epochs=2, **kwargs)
    mtime = os.stat(out).st_mtime_ns
    logs.clear()
    tool.train_toy_clip(str(world), out=str(out), epochs=1, **kwargs)
    assert any('another configuration' in line for line in logs)
    assert os.stat(out).st_mtime_ns != mtime


def test_world_settings_and_bad_inputs_are_named(tmp_path):
    world = dict(image_size=32, cooccur_prob=0.9, seed=5, num_train=8)
    with pytest.raises(ValueError, match='image_size=96 disagrees'):
        tool.train_config(TINY_MODEL, world=world, image_size=96)
    with pytest.raises(KeyError, match='cooccur_prob'):
        tool.train_config(TINY_MODEL, world=dict(image_size=32))
    with pytest.raises(ValueError, match='epochs must be > 0'):
        tool.train_config(TINY_MODEL, epochs=0)
    with pytest.raises(FileNotFoundError, match='not-a-world'):
        tool.train_toy_clip(str(tmp_path / 'not-a-world'),
                            model_cfg=TINY_MODEL)
    with pytest.raises(KeyError, match='seed'):
        toy_clip_path(dict(model_cfg=TINY_MODEL))
    # epochs -> optimiser steps, unless steps are given
    assert tool.num_steps(dict(steps=None, epochs=2, batch_size=32), 100) == 7
    assert tool.num_steps(dict(steps=3, epochs=2, batch_size=32), 100) == 3
