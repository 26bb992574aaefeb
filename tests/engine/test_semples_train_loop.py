import math

import pytest

from semples_mmseg.engine.loops.semples_train_loop import (SemPLeSTrainLoop,
                                                           lr_factor,
                                                           merge_cfg)


def test_lr_factors():
    assert lr_factor('cosine', 0) == 1
    assert lr_factor('cosine', 0.5) == pytest.approx(0.5)
    assert lr_factor('cosine', 59 / 60) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * 59 / 60)))
    assert lr_factor('poly', 0.5) == pytest.approx(0.5**0.9)


def test_merge_cfg_merges_dicts_and_replaces_lists():
    base = dict(batch_size=8, dataset=dict(type='X', pipeline=[1, 2]))
    out = merge_cfg(base, dict(batch_size=16, dataset=dict(pipeline=[3])))
    assert out == dict(batch_size=16, dataset=dict(type='X', pipeline=[3]))
    assert base['dataset']['pipeline'] == [1, 2]


def test_stage_specs_are_completed_and_checked():
    stages = SemPLeSTrainLoop._resolve_stages(
        [dict(stage=1, max_epochs=2), dict(stage=3, max_epochs=1,
                                           schedule='poly')])
    assert stages[0]['losses'] == ('match', ) and stages[0]['mask_eps'] == 0.1
    assert stages[1]['start_from'] == 'initial'
    assert stages[1]['schedule'] == 'poly'
    with pytest.raises(ValueError, match=r'stages\[0\].stage'):
        SemPLeSTrainLoop._resolve_stages([dict(stage=4, max_epochs=1)])
    with pytest.raises(ValueError, match=r"unknown keys \['lrs'\]"):
        SemPLeSTrainLoop._resolve_stages([dict(stage=1, max_epochs=1,
                                               lrs=1)])
    with pytest.raises(ValueError, match='max_epochs'):
        SemPLeSTrainLoop._resolve_stages([dict(stage=2)])
    with pytest.raises(ValueError, match="'step'"):
        SemPLeSTrainLoop._resolve_stages([dict(stage=2, max_epochs=1,
                                               schedule='step')])
    with pytest.raises(ValueError, match='is empty'):
        SemPLeSTrainLoop._resolve_stages([])
