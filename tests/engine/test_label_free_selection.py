"""Label-free checkpoint choice (docs/SELECTION.md).

In-process runs (``Runner.from_cfg``) of the tiny SemPLeS config with stages
of 2 / 1 / 2 epochs over a 4-image VOC fixture whose masks are deleted:
``checkpoint_choice='last'`` builds no validation split at all, ``'loss'``
validates on ``val.txt`` with its XML image labels only. Both keep working
when a run is killed (mid-stage, mid-validation) and resumed.
"""
import itertools
import json
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from fixtures import SimulatedKill, make_voc_fixture

pytestmark = pytest.mark.slow  # trains models / spawns processes

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')
_names = itertools.count()


def tiny_cfg(data_root, work_dir, choice, *, resume=False, kill=None):
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(data_root)
    cfg.model.test_cfg = dict(scales=(1.0, ), flip=False)
    cfg.custom_hooks = [] if kill is None else [
        dict(type='KillSwitchHook', **kill)]
    for spec, epochs in zip(cfg.train_cfg.stages, (2, 1, 2)):
        spec.max_epochs = epochs
    cfg.train_cfg.checkpoint_choice = choice
    cfg.auto_scale_lr.enable = False  # lr 5.12e-4: held-out losses move
    if choice == 'last':  # as configs/semples/semples_weaktr-deit-s_8xb8-3x60e-last-epoch_voc-224.py
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    else:  # as configs/semples/semples_weaktr-deit-s_8xb8-3x60e-labelfree_voc-224.py
        cfg.train_cfg.best_metric = 'held_out'
        cfg.val_cfg = dict(type='HeldOutLossValLoop')
        cfg.val_evaluator = dict(type='HeldOutLossMetric')
        cfg.val_dataloader.dataset.ann_file = 'ImageSets/Segmentation/val.txt'
        cfg.val_dataloader.dataset.pipeline = [
            dict(type='LoadCheckedImageFromFile'),
            dict(type='Resize', scale=(32, 32), keep_ratio=False,
                 backend='pillow', interpolation='bicubic'),
            dict(type='PackWeakSegInputs'),
        ]
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'selection_test_{next(_names)}'
    cfg.visualizer.name = cfg.experiment_name  # scalars.json in this run
    cfg.log_level = 'WARNING'
    return cfg


def train(cfg):
    Runner.from_cfg(cfg).train()


def state(path):
    return torch.load(path, map_location='cpu',
                      weights_only=False)['state_dict']


def assert_same_state(a, b, where):
    assert a.keys() == b.keys(), where
    for key in a:
        assert torch.equal(a[key], b[key]), f'{where}: {key}'


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('selection')
    make_voc_fixture(str(root / 'data'), num_images=4)
    # no pixel label anywhere: image labels come from the XML files
    for folder in ('SegmentationClassAug', 'SegmentationClass'):
        shutil.rmtree(root / 'data' / folder)
    (root / 'data' / 'cls_labels.npy').unlink()
    return root


@pytest.fixture(scope='module')
def last_run(root):
    train(tiny_cfg(root / 'data', root / 'last', 'last'))
    return root / 'last'


@pytest.fixture(scope='module')
def loss_run(root):
    train(tiny_cfg(root / 'data', root / 'loss', 'loss'))
    return root / 'loss'


def test_last_keeps_each_stages_last_epoch_without_masks(last_run):
    assert_same_state(state(last_run / 'best_stage1.pth'),
                      state(last_run / 'epoch_2.pth'), 'best_stage1')
    assert_same_state(state(last_run / 'best_stage3.pth'),
                      state(last_run / 'epoch_5.pth'), 'best_stage3')
    record = json.loads(
        (last_run / 'last_validation.json').read_text())
    assert record['epoch'] == 5 and record['rule'] == 'last'
    assert record['checkpoint'] == 'best_stage3.pth'
    assert record['metrics'] == {}
    assert val_losses(last_run) == {}  # nothing was validated


def val_losses(work_dir):
    """epoch -> held-out loss, from the run's scalar log."""
    out = {}
    for path in work_dir.glob('*/vis_data/scalars.json'):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'held_out' in row:
                out[row['step']] = row['held_out']
    return out


def held_out_loss(cfg, checkpoint, losses):
    """The mean loss of ``checkpoint`` over the held-out images, one image
    at a time, computed here without the loop or the metric."""
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(str(checkpoint))
    model = runner.model
    model.set_stage(losses=losses, mask_eps=0.1)
    model.eval()
    dataset = runner.build_dataloader(cfg.val_dataloader).dataset
    values = []
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(pseudo_collate([dataset[i]]),
                                           False)
            out = model.loss(data['inputs'], data['data_samples'])
            values.append(sum(v for k, v in out.items() if 'loss' in k))
    return float(torch.stack(values).mean())


def test_loss_keeps_the_lowest_held_out_loss(loss_run, root, tmp_path):
    losses = val_losses(loss_run)
    assert sorted(losses) == [1, 2, 4, 5]  # stages 1 and 3 are validated
    best1 = min((1, 2), key=losses.get)
    best3 = min((4, 5), key=losses.get)
    assert_same_state(state(loss_run / 'best_stage1.pth'),
                      state(loss_run / f'epoch_{best1}.pth'), 'best_stage1')
    assert_same_state(state(loss_run / 'best_stage3.pth'),
                      state(loss_run / f'epoch_{best3}.pth'), 'best_stage3')
    record = json.loads(
        (loss_run / 'last_validation.json').read_text())
    assert record['metric'] == 'held_out' and record['rule'] == 'less'
    assert record['bests']['semples_best_stage1'] == pytest.approx(
        losses[best1])
    # the logged number is the stage loss of those weights, recomputed
    cfg = tiny_cfg(root / 'data', tmp_path / 'check', 'loss')
    assert held_out_loss(cfg, loss_run / f'epoch_{best1}.pth',
                         ['match']) == pytest.approx(losses[best1], rel=1e-5)
    assert held_out_loss(cfg, loss_run / f'epoch_{best3}.pth',
                         ['match', 'refine']) == pytest.approx(
                             losses[best3], rel=1e-5)


def test_loss_run_killed_during_validation_resumes_to_the_same_bests(
        loss_run, root):
    work = root / 'loss_kill_val'
    with pytest.raises(SimulatedKill):  # during stage 1's last validation
        train(tiny_cfg(root / 'data', work, 'loss',
                       kill=dict(epoch=1, iteration=0, phase='val')))
    assert not (work / 'best_stage3.pth').exists()
    train(tiny_cfg(root / 'data', work, 'loss', resume=True))
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'epoch 2 was not validated before the run stopped' in logs
    for name in ('best_stage1.pth', 'best_stage3.pth', 'epoch_5.pth'):
        assert_same_state(state(loss_run / name), state(work / name), name)
    assert val_losses(work) == val_losses(loss_run)  # epoch 2's redone


def test_last_run_killed_mid_stage_resumes_exactly(last_run, root):
    work = root / 'last_kill'
    with pytest.raises(SimulatedKill):  # in stage 3
        train(tiny_cfg(root / 'data', work, 'last',
                       kill=dict(epoch=4, iteration=1)))
    train(tiny_cfg(root / 'data', work, 'last', resume=True))
    for name in ('best_stage1.pth', 'best_stage3.pth', 'epoch_5.pth'):
        assert_same_state(state(last_run / name), state(work / name), name)


def test_last_selection_not_saved_before_the_kill_is_saved_on_resume(
        last_run, root):
    # killed between stage 1's last epoch checkpoint and its selection:
    # the interrupted run left epoch_2.pth but no best_stage1.pth / record
    work = root / 'last_kill_select'
    with pytest.raises(SimulatedKill):
        train(tiny_cfg(root / 'data', work, 'last',
                       kill=dict(epoch=2, iteration=0)))
    (work / 'best_stage1.pth').unlink()
    (work / 'last_validation.json').unlink()
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    train(tiny_cfg(root / 'data', work, 'last', resume=True))
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert "epoch 2 was not kept as its stage's last" in logs
    for name in ('best_stage1.pth', 'best_stage3.pth', 'epoch_5.pth'):
        assert_same_state(state(last_run / name), state(work / name), name)


def test_resume_with_another_choice_is_refused(last_run, root):
    work = root / 'switch'
    with pytest.raises(SimulatedKill):
        train(tiny_cfg(root / 'data', work, 'last',
                       kill=dict(epoch=1, iteration=0)))
    with pytest.raises(ValueError, match="checkpoint_choice': 'last'"):
        train(tiny_cfg(root / 'data', work, 'loss', resume=True))


def test_bad_choice_settings_are_named(root, tmp_path):
    cfg = tiny_cfg(root / 'data', tmp_path / 'bad', 'best')
    with pytest.raises(ValueError, match="checkpoint_choice.*'best'"):
        train(cfg)
    cfg = tiny_cfg(root / 'data', tmp_path / 'bad2', 'loss')
    cfg.train_cfg.best_metric = 'mIoU'
    with pytest.raises(ValueError, match="best_metric='held_out'"):
        train(cfg)
    cfg = tiny_cfg(root / 'data', tmp_path / 'bad3', 'loss')
    cfg.train_cfg.selection = cfg.train_cfg.pop('checkpoint_choice')
    with pytest.raises(TypeError, match='train_cfg.checkpoint_choice'):
        train(cfg)
