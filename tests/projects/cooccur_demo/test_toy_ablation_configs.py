"""The demo's ablation rows resolve to the paper's rows (the library's
``ROWS``) at the toy's epochs; the controls use the world's home scenes; the
runner reads each row's result from the file its stages write."""
from pathlib import Path

import pytest
from mmengine.config import Config

from cooccur_demo.ablation import TABLES
from cooccur_demo.world import HOME_SCENE, SCENE_NAMES
from mmseg.registry import MODELS
from semples_mmseg.engine.loops.stage_schedule import best_checkpoint_names
from test_ablation_configs import (ROWS, check_row, check_stage_variables,
                                   resolved)

CONFIGS = Path(__file__).resolve().parents[3] / 'projects/cooccur_demo/configs'
ABL = CONFIGS / 'semples' / 'ablations'


@pytest.mark.parametrize('row', ROWS)
def test_row_resolves_to_its_stages_and_loss_weights(row):
    # stages 1 and 3: 12 epochs, stage 2: 6
    check_row(Config.fromfile(str(ABL / f'toy_{row}.py')), row, (12, 6))


def test_stage_variables_equal_the_toy_configs_stages():
    check_stage_variables(ABL / '_base_' / 'toy_stages.py',
                          CONFIGS / 'semples' / 'toy_cooccur.py',
                          ABL / 'toy_t4_full.py', 'toy')


def test_every_table_row_is_a_config_of_the_project():
    rows = {r.config for t in TABLES.values() for r in t.rows}
    assert rows <= {p.name for p in ABL.glob('toy_*.py')}
    for table in TABLES.values():
        for row in table.rows:
            cfg = Config.fromfile(str(ABL / row.config))
            # the runner evaluates the last validated stage's best
            assert best_checkpoint_names(resolved(cfg))[-1] == \
                row.checkpoint, row


def test_controls_use_the_worlds_home_scenes():
    manual = Config.fromfile(str(ABL / 'toy_ctl_manual_prompts.py'))
    assert manual.model.prompt_learner.texts == [
        f'a photo of {SCENE_NAMES[HOME_SCENE[k]]}.' for k in range(6)]
    assert manual.model.prompt_learner.texts[0] == 'a photo of water.'
    images = Config.fromfile(str(ABL / 'toy_ctl_scene_images.py'))
    for cfg in (manual, images):
        got = [(s.stage, s.losses) for s in resolved(cfg)]
        assert got == [(1, ('match', )), (3, ('match', 'refine'))]
        learner = MODELS.build(cfg.model.prompt_learner)
        assert tuple(learner.prompts.shape) == (6, 30, 64)
    assert images.model.prompt_learner.type == 'HomeSceneImagePrompts'


def test_budget_control_of_table6_is_stage_1_for_two_rounds_epochs():
    # 2 rounds train the CAM network 12 epochs per stage 3
    cfg = Config.fromfile(str(ABL / 'toy_ctl_match_only_24e.py'))
    rounds = Config.fromfile(str(ABL / 'toy_t6_rounds_2.py'))
    cam_epochs = sum(s.max_epochs for s in resolved(rounds)
                     if s.stage == 3)
    got = [(s.stage, s.losses, s.max_epochs)
           for s in resolved(cfg)]
    assert got == [(1, ('match', ), 24)] and cam_epochs == 24
    assert best_checkpoint_names(resolved(cfg)) == ['best_stage1.pth']
