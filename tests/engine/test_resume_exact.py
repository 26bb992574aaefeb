"""A run killed mid-stage or mid-validation and resumed equals the
uninterrupted run bit for bit (CPU).

Runs are in-process (``Runner.from_cfg``) on the tiny SemPLeS config with
stages of 2 / 1 / 2 epochs over a 4-image VOC fixture (2 iterations per
epoch); ``KillSwitchHook`` stops a run at a fixed iteration, as a kill
would (nothing of the run's end is executed).
"""
import copy
import itertools
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from fixtures import SimulatedKill, make_voc_fixture

pytestmark = pytest.mark.slow  # trains models / spawns processes

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')
_names = itertools.count()


def tiny_cfg(data_root, work_dir, *, resume=False, kill=None, workers=0,
             stages=(2, 1, 2)):
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(data_root)
    cfg.model.test_cfg = dict(scales=(1.0, ), flip=False)
    cfg.custom_hooks = [] if kill is None else [
        dict(type='KillSwitchHook', **kill)]
    for spec, epochs in zip(cfg.train_cfg.stages, stages):
        spec.max_epochs = epochs
    cfg.train_dataloader.num_workers = workers
    cfg.train_dataloader.persistent_workers = workers > 0
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.default_hooks.logger.interval = 50
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'resume_test_{next(_names)}'
    cfg.log_level = 'WARNING'
    return cfg


def train(cfg):
    Runner.from_cfg(cfg).train()


def checkpoint(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def assert_same_tensors(a, b, where):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_tensors(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tensors(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def assert_same_run(ref: Path, other: Path):
    """Same weights, optimizer state, best checkpoints and scores."""
    last_ref, last = checkpoint(ref / 'epoch_5.pth'), checkpoint(
        other / 'epoch_5.pth')
    assert_same_tensors(last_ref['state_dict'], last['state_dict'],
                        'state_dict')
    assert_same_tensors(last_ref['optimizer'], last['optimizer'],
                        'optimizer')
    for name in ('best_stage1.pth', 'best_stage3.pth',
                 'semples_cam_init.pth'):
        a, b = checkpoint(ref / name), checkpoint(other / name)
        assert_same_tensors(a['state_dict'], b['state_dict'], name)
    for stage in (1, 3):
        key = f'semples_best_stage{stage}'
        assert last_ref['message_hub']['runtime_info'][key] == \
            last['message_hub']['runtime_info'][key]


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('resume')
    make_voc_fixture(str(root / 'data'), num_images=4)
    train(tiny_cfg(root / 'data', root / 'uninterrupted'))
    return root


def kill_and_resume(root, name, kill, workers=0):
    work = root / name
    with pytest.raises(SimulatedKill):
        train(tiny_cfg(root / 'data', work, kill=kill, workers=workers))
    assert not (work / 'epoch_5.pth').exists()
    train(tiny_cfg(root / 'data', work, resume=True, workers=workers))
    return work


def test_uninterrupted_run_differs_from_another_seed(reference, tmp_path):
    """The comparisons below can fail: another seed changes the weights."""
    cfg = tiny_cfg(reference / 'data', tmp_path / 'seed1')
    cfg.randomness = dict(seed=1)
    train(cfg)
    a = checkpoint(reference / 'uninterrupted' / 'epoch_5.pth')
    b = checkpoint(tmp_path / 'seed1' / 'epoch_5.pth')
    assert not torch.equal(a['state_dict']['cam_net.head.weight'],
                           b['state_dict']['cam_net.head.weight'])


def test_kill_in_stage_1_resumes_exactly(reference):
    work = kill_and_resume(reference, 'kill_stage1',
                           dict(epoch=1, iteration=1))
    assert_same_run(reference / 'uninterrupted', work)


def test_kill_at_stage_2_start_resumes_exactly(reference):
    # epoch 2 is stage 2's only epoch: resumed from the end of stage 1,
    # stage 2 starts afresh from best_stage1.pth
    work = kill_and_resume(reference, 'kill_stage2',
                           dict(epoch=2, iteration=1))
    assert_same_run(reference / 'uninterrupted', work)


def test_kill_in_stage_3_resumes_exactly_with_workers(reference):
    # two persistent workers in the killed and the resumed run, none in the
    # reference: the augmentation depends on (seed, epoch, index) only
    work = kill_and_resume(reference, 'kill_stage3',
                           dict(epoch=4, iteration=0), workers=2)
    assert_same_run(reference / 'uninterrupted', work)


def test_kill_during_validation_redoes_it(reference):
    # the validation after epoch 1 (stage 1's last) picks best_stage1, which
    # stage 2 starts from
    work = reference / 'kill_val'
    with pytest.raises(SimulatedKill):
        train(tiny_cfg(reference / 'data', work,
                       kill=dict(epoch=1, iteration=0, phase='val')))
    record = json.loads((work / 'last_validation.json').read_text())
    assert record['epoch'] == 1  # epoch 2's validation did not finish
    train(tiny_cfg(reference / 'data', work, resume=True))
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'epoch 2 was not validated before the run stopped' in logs
    assert_same_run(reference / 'uninterrupted', work)
    record = json.loads((work / 'last_validation.json').read_text())
    assert record['epoch'] == 5


def test_process_killed_in_stage_3_resumed_by_the_train_tool(reference,
                                                              tmp_path):
    """A real process end (os._exit, no clean-up) and `tools/train.py
    --resume` (the CLI path: last_checkpoint read by our resolver)."""
    import os
    import subprocess
    import sys
    work = reference / 'exit_stage3'

    def tool(cfg, *extra):
        cfg.custom_imports = dict(
            imports=['semples_mmseg', 'fixtures.kill_switch'],
            allow_failed_imports=False)
        path = tmp_path / f'cfg_{next(_names)}.py'
        cfg.dump(str(path))
        tests = os.pathsep.join([str(REPO / 'tests')] + os.environ.get(
            'PYTHONPATH', '').split(os.pathsep))
        return subprocess.run(
            [sys.executable, 'tools/train.py', str(path), *extra], cwd=REPO,
            capture_output=True, text=True, timeout=900,
            env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=tests))

    proc = tool(tiny_cfg(reference / 'data', work,
                         kill=dict(epoch=3, iteration=1, mode='exit')))
    assert proc.returncode == 137, proc.stderr[-3000:]
    assert (work / 'epoch_3.pth').is_file()
    assert not (work / 'epoch_4.pth').exists()
    proc = tool(tiny_cfg(reference / 'data', work), '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_run(reference / 'uninterrupted', work)
