"""The WeakTr / CLIMS baselines (mmengine's stock EpochBasedTrainLoop with
CheckpointHook save_best) validate again, on --resume, an epoch whose
validation was killed: ``StageBestCheckpointHook`` in their schedule bases.

A tiny WeakTr baseline (configs/weaktr/weaktr_voc.py with CPU-sized parts)
trains 3 epochs on a 4-image VOC fixture, validating every epoch; the run
killed during the validation after epoch 2 and resumed ends with the same
best checkpoint, weights and validation log as the uninterrupted run.
Without the hook (as on main before) epoch 2's validation is lost.
"""
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
_names = itertools.count()


def tiny_baseline(config, data_root, work_dir, *, resume=False, kill=None,
                  hook=True):
    cfg = Config.fromfile(str(REPO / config))
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(data_root)
        cfg[f'{split}_dataloader'].num_workers = 0
        cfg[f'{split}_dataloader'].persistent_workers = False
    cfg.model.data_preprocessor.size = (32, 32)
    cfg.model.cam_net.update(img_size=32, embed_dims=48, depth=2,
                             num_heads=6, aaf_reduction=4, pretrained=None)
    cfg.model.test_cfg = dict(scales=(1.0, ), flip=False, bg_threshold=0.43)
    if cfg.val_cfg.type == 'CAMValLoop':  # test_cfg above is the val one
        cfg.val_cfg = dict(type='ValLoop')
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadCheckedImageFromFile'),
        dict(type='mmpretrain.RandomResizedCrop', scale=32,
             crop_ratio_range=(0.08, 1.0), interpolation='bicubic',
             backend='pillow'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackWeakSegInputs'),
    ]
    cfg.auto_scale_lr.enable = False
    cfg.param_scheduler = []
    cfg.train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=3,
                         val_interval=1)
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.default_hooks.logger.interval = 1
    if not hook:
        cfg.default_hooks.pop('redo_validation')
    cfg.custom_hooks = [] if kill is None else [
        dict(type='KillSwitchHook', **kill)]
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'baseline_redo_{next(_names)}'
    cfg.visualizer.name = cfg.experiment_name
    cfg.log_level = 'WARNING'
    return cfg


def train(cfg):
    Runner.from_cfg(cfg).train()


def state(path):
    return torch.load(path, map_location='cpu',
                      weights_only=False)['state_dict']


def validations(work_dir):
    """step (epoch) -> the metrics logged by its validation(s)."""
    out = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'mIoU' in row:
                out.setdefault(row['step'], []).append(
                    {k: row[k] for k in row if k not in ('time', 'data_time')})
    return out


def best_files(work_dir):
    return sorted(p.name for p in work_dir.glob('best_*.pth'))


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp('baseline_redo')
    make_voc_fixture(str(root / 'data'), num_images=4)
    return root


@pytest.fixture(scope='module')
def uninterrupted(root):
    work = root / 'uninterrupted'
    train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data', work))
    return work


def kill_in_validation_and_resume(root, name):
    work = root / name
    with pytest.raises(SimulatedKill):  # the validation after epoch 2
        train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data',
                            work, kill=dict(epoch=1, iteration=0,
                                            phase='val')))
    assert (work / 'epoch_2.pth').is_file()
    record = json.loads((work / 'last_validation.json').read_text())
    assert record['epoch'] == 1  # epoch 2's validation did not finish
    train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data', work,
                        resume=True))
    return work


def test_killed_validation_is_redone_on_resume(root, uninterrupted):
    work = kill_in_validation_and_resume(root, 'killed')
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'epoch 2 was not validated before the run stopped' in logs
    reference = validations(uninterrupted)
    assert sorted(reference) == [1, 2, 3]
    assert validations(work) == reference
    assert best_files(work) == best_files(uninterrupted)
    for name in best_files(work) + ['epoch_3.pth']:
        a, b = state(uninterrupted / name), state(work / name)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    record = json.loads((work / 'last_validation.json').read_text())
    assert record['epoch'] == 3
    assert record['metrics']['mIoU'] == reference[3][0]['mIoU']


def test_without_the_hook_the_killed_validation_is_lost(root):
    # mmengine's own behaviour, what the baselines did before the hook
    work = root / 'killed_no_hook'
    with pytest.raises(SimulatedKill):
        train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data',
                            work, kill=dict(epoch=1, iteration=0,
                                            phase='val'), hook=False))
    train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data', work,
                        resume=True, hook=False))
    assert sorted(validations(work)) == [1, 3]
    assert not (work / 'last_validation.json').exists()


def test_a_finished_validation_is_not_repeated(root, uninterrupted):
    work = root / 'killed_in_training'
    with pytest.raises(SimulatedKill):  # epoch 3, after epoch 2's validation
        train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data',
                            work, kill=dict(epoch=2, iteration=1)))
    train(tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data', work,
                        resume=True))
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'was not validated before the run stopped' not in logs
    assert validations(work) == validations(uninterrupted)
    assert best_files(work) == best_files(uninterrupted)


def test_label_free_baseline_keeps_the_lowest_held_out_loss(root):
    """configs/weaktr/weaktr_deit-s_8xb8-60e-labelfree_voc-224.py's selection, tiny: the stock
    loop + CheckpointHook(save_best='held_out', rule='less')."""
    import shutil
    data = root / 'data_no_masks'
    shutil.copytree(root / 'data', data)
    for folder in ('SegmentationClassAug', 'SegmentationClass'):
        shutil.rmtree(data / folder)
    cfg = tiny_baseline('configs/weaktr/weaktr_deit-s_8xb8-60e-labelfree_voc-224.py', data,
                        root / 'labelfree')
    cfg.val_dataloader.dataset.pipeline[1].scale = (32, 32)
    cfg.optim_wrapper.optimizer.lr = 5e-3  # epochs differ clearly
    train(cfg)
    work = root / 'labelfree'
    losses = {}
    for path in work.glob('*/vis_data/scalars.json'):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if 'held_out' in row:
                losses[row['step']] = row['held_out']
    assert sorted(losses) == [1, 2, 3]
    best = min(losses, key=losses.get)
    assert best_files(work) == [f'best_held_out_epoch_{best}.pth']
    a, b = state(work / f'best_held_out_epoch_{best}.pth'), state(
        work / f'epoch_{best}.pth')
    assert all(torch.equal(a[k], b[k]) for k in a)
