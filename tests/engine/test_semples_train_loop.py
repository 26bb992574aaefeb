"""The stage schedule, the stage dataloader merge and the loop's settings."""
import math
from types import SimpleNamespace

import pytest
from mmengine.config import ConfigDict

from semples_mmseg.engine.loops.semples_train_loop import SemPLeSTrainLoop
from semples_mmseg.engine.loops.stage_schedule import (StageSchedule,
                                                       auto_scale_factor,
                                                       lr_factor)
from semples_mmseg.utils.preflight import config_datasets


def test_lr_factors():
    assert lr_factor('cosine', 0) == 1
    assert lr_factor('cosine', 0.5) == pytest.approx(0.5)
    assert lr_factor('cosine', 59 / 60) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * 59 / 60)))
    assert lr_factor('poly', 0.5) == pytest.approx(0.5**0.9)


def test_stage_specs_are_completed_and_laid_end_to_end():
    schedule = StageSchedule([dict(stage=1, max_epochs=2),
                              dict(stage=3, max_epochs=3, schedule='poly')])
    assert schedule[0].losses == ('match', ) and schedule[0].mask_eps == 0.1
    assert schedule[1].start_from == 'initial'
    assert schedule.starts == [0, 2, 5] and schedule.max_epochs == 5
    assert [schedule.index_of(e) for e in range(5)] == [0, 0, 1, 1, 1]
    # stage 3's second epoch of three: poly(0.9) at progress 1/3, x 2
    assert schedule.group_lrs(1, 3, scale=2.0) == {
        'cam_net': pytest.approx(5.12e-4 * (2 / 3)**0.9 * 2)}


def test_bad_stage_specs_are_named():
    for stages, key in (([dict(stage=4, max_epochs=1)], r'stages\[0\].stage'),
                        ([dict(stage=1, max_epochs=1, lrs=1)], "'lrs'"),
                        ([dict(stage=2)], r'stages\[0\].max_epochs'),
                        ([dict(stage=2, max_epochs=1, schedule='step')],
                         r'stages\[0\].schedule'),
                        ([], 'train_cfg.stages')):
        with pytest.raises(ValueError, match=key):
            StageSchedule(stages)


def test_auto_scale_factor():
    assert auto_scale_factor(dict(enable=True, base_batch_size=512),
                             64) == 64 / 512
    assert auto_scale_factor(dict(enable=False, base_batch_size=512),
                             64) == 1.0
    with pytest.raises(ValueError, match='base_batch_size'):
        auto_scale_factor(dict(enable=True), 64)


BASE = dict(batch_size=8, dataset=dict(
    type='X', pipeline=[1, 2], data_prefix=dict(img_path='a',
                                                seg_map_path='b')))


def stage_loader(override):
    """The loop's own merge, with a runner that builds nothing."""
    loop = SemPLeSTrainLoop.__new__(SemPLeSTrainLoop)
    loop._runner = SimpleNamespace(seed=0,
                                   build_dataloader=lambda cfg, seed: cfg)
    loop.dataloader = 'top-level loader'
    return loop._stage_loader(ConfigDict(BASE), override)


def test_a_stage_dataloader_merges_dicts_and_replaces_lists():
    out = stage_loader(dict(batch_size=16, dataset=dict(
        pipeline=[3], data_prefix=dict(img_path='c'))))
    assert out.to_dict() == dict(batch_size=16, dataset=dict(
        type='X', pipeline=[3], data_prefix=dict(img_path='c',
                                                 seg_map_path='b')))
    assert BASE['dataset']['pipeline'] == [1, 2]
    assert stage_loader(None) == 'top-level loader'


def test_delete_in_a_stage_override_replaces_the_dict():
    out = stage_loader(dict(dataset=dict(
        data_prefix=dict(_delete_=True, img_path='c'))))
    assert out.dataset.data_prefix.to_dict() == dict(img_path='c')
    # the pre-flight merges the stage's dataset the same way
    cfg = dict(train_dataloader=BASE, train_cfg=dict(stages=[
        dict(stage=1, dataloader=dict(dataset=dict(
            data_prefix=dict(_delete_=True, img_path='c'))))]))
    keys = {key: ds for key, ds, _ in config_datasets(cfg)}
    assert keys['train_cfg.stages[0].dataloader.dataset'][
        'data_prefix'].to_dict() == dict(img_path='c')


def test_the_old_selection_key_names_the_new_one():
    with pytest.raises(TypeError, match='checkpoint_choice'):
        SemPLeSTrainLoop(None, {}, stages=[], selection='loss')
    with pytest.raises(ValueError, match='checkpoint_choice'):
        SemPLeSTrainLoop(None, {}, stages=[], checkpoint_choice='best')
    with pytest.raises(ValueError, match='best_metric'):
        SemPLeSTrainLoop(None, {}, stages=[], checkpoint_choice='loss',
                         best_metric='mIoU')
