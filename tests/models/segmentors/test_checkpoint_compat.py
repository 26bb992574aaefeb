"""A checkpoint that does not fit the segmentor is refused on every path
that loads one, naming the keys; the tools and load_segmentor name the file."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

from mmseg.registry import MODELS
from semples_mmseg.apis import load_segmentor
from semples_mmseg.models.segmentors.checkpoint_compat import (
    IncompatibleCheckpointError, check_segmentor_state)
from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[3]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """A fitting checkpoint, a 5-class one, a CLIMS-like one, a baseline
    one without prompts."""
    root = tmp_path_factory.mktemp('ckpt')
    cfg = Config.fromfile(TINY)
    model = MODELS.build(cfg.model)
    good = model.state_dict()
    torch.save(dict(state_dict=good), root / 'good.pth')
    five = dict(good)
    five['cam_net.head.weight'] = torch.zeros(5, 48, 3, 3)
    five['cam_net.head.bias'] = torch.zeros(5)
    torch.save(dict(state_dict=five), root / 'five_classes.pth')
    clims = {k: v for k, v in good.items() if not k.startswith('cam_net.')}
    clims['cam_net.backbone.conv1.weight'] = torch.zeros(64, 3, 7, 7)
    clims['cam_net.classifier.weight'] = torch.zeros(20, 2048, 1, 1)
    torch.save(dict(state_dict=clims), root / 'clims.pth')
    baseline = {k: v for k, v in good.items()
                if not k.startswith('prompt_learner.')}
    torch.save(dict(state_dict=baseline), root / 'baseline.pth')
    return root, cfg, good


def test_checker_names_missing_unexpected_and_mis_shaped_keys():
    own = dict(a=torch.zeros(2), b=torch.zeros(3),
               **{'prompt_learner.prompts': torch.zeros(1)})
    with pytest.raises(IncompatibleCheckpointError) as info:
        check_segmentor_state(own, dict(a=torch.zeros(4), c=torch.zeros(1)),
                              source='x.pth')
    msg = str(info.value)
    assert msg.startswith('x.pth does not fit')
    assert "missing (1): ['b']" in msg and "unexpected (1): ['c']" in msg
    assert 'a: (4,) in the file, (2,) in the model' in msg
    # the prompt group may be absent (kept) or extra (dropped) as a whole
    assert check_segmentor_state(own, dict(a=own['a'], b=own['b'])) == (
        ['prompt_learner.prompts'], [])
    del own['prompt_learner.prompts']
    assert check_segmentor_state(
        own, dict(a=own['a'], b=own['b'],
                  **{'prompt_learner.prompts': torch.zeros(1)})) == (
                      [], ['prompt_learner.prompts'])


@pytest.mark.parametrize('name, culprit', [
    ('five_classes.pth', 'cam_net.head.weight: (5, 48, 3, 3) in the file'),
    ('clims.pth', 'cam_net.classifier.weight'),
])
def test_mmengine_load_checkpoint_refuses(files, name, culprit):
    """The loader of load_from, tools/test.py and mmseg's init_model."""
    root, cfg, _ = files
    model = MODELS.build(cfg.model)
    with pytest.raises(IncompatibleCheckpointError) as info:
        load_checkpoint(model, str(root / name))
    assert culprit in str(info.value)
    assert str(info.value.naming('x.pth')).startswith('x.pth does not fit')


def test_baseline_checkpoint_loads_and_keeps_the_prompts(files):
    root, cfg, good = files
    model = MODELS.build(cfg.model)
    prompts = model.prompt_learner.prompts.detach().clone()
    load_checkpoint(model, str(root / 'baseline.pth'))
    assert torch.equal(model.prompt_learner.prompts, prompts)
    assert torch.equal(model.cam_net.head.weight, good['cam_net.head.weight'])
    model.load_state_dict(torch.load(root / 'good.pth')['state_dict'])


def test_inference_model_of_the_tools_refuses(files):
    """make_pseudo_masks.py and compare.py build their model this way."""
    root, cfg, good = files
    five = torch.load(root / 'five_classes.pth')['state_dict']
    with pytest.raises(IncompatibleCheckpointError,
                       match='five_classes.pth does not fit'):
        load_segmentor(cfg.model, five, source=str(root / 'five_classes.pth'))
    load_segmentor(cfg.model, good, source='good.pth')


def test_runner_load_from_refuses_before_training(files, tmp_path):
    root, _, _ = files
    make_voc_fixture(str(tmp_path / 'data'), num_images=2)
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(tmp_path / 'data')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.load_from = str(root / 'five_classes.pth')
    cfg.experiment_name = 'load_from_refused'
    with pytest.raises(IncompatibleCheckpointError,
                       match='cam_net.head.weight'):
        Runner.from_cfg(cfg).train()
    assert not list((tmp_path / 'work').glob('epoch_*.pth'))


@pytest.mark.slow
def test_test_tool_refuses_a_five_class_checkpoint(files, tmp_path):
    root, _, _ = files
    make_voc_fixture(str(tmp_path / 'data'), num_images=2)
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', TINY, str(root / 'five_classes.pth'),
         '--work-dir', str(tmp_path / 'test'), '--cfg-options',
         f'test_dataloader.dataset.data_root={tmp_path / "data"}'],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'five_classes.pth does not fit this SemPLeSSegmentor' in \
        proc.stderr
    assert 'Epoch(test)' not in proc.stdout + proc.stderr
