"""The ablation configs resolve to the paper's rows: stages, losses, weights.

Each row of Tables 4-6 (VOC and the toy world) and the toy controls is read
back through the train loop's own stage resolution and the loss modules'
constructors, and compared with the row's definition in the paper.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg.registry import MODELS
from semples_mmseg.datasets.cooccur_world import HOME_SCENE, SCENE_NAMES
from semples_mmseg.engine.loops.stage_schedule import (StageSchedule,
                                                       best_checkpoint_names)

REPO = Path(__file__).resolve().parents[1]
ABL = REPO / 'configs' / 'semples' / 'ablations'
SEQ = [(1, ('match', ), 'current', False), (2, ('prompt', ), 'previous_best',
                                             False),
       (3, ('match', 'refine'), 'initial', False)]
NEXT = [SEQ[1], (3, ('match', 'refine'), 'previous_best', False)]
JOINT = [(3, ('match', 'prompt', 'refine'), 'current', True)]
# row -> (stages, lambda (refine weight), lambda_T, lambda_I, result file)
ROWS = {
    't4_match_only': (SEQ[:1], 0.05, 0.02, 1.0, 'best_stage1.pth'),
    't4_random_prompts': ([SEQ[0], SEQ[2]], 0.05, 0.02, 1.0,
                          'best_stage3.pth'),
    't4_prompt_t_only': (SEQ, 0.05, 0.02, 0.0, 'best_stage3.pth'),
    't4_prompt_i_only': (SEQ, 0.05, 0.0, 1.0, 'best_stage3.pth'),
    't4_full': (SEQ, 0.05, 0.02, 1.0, 'best_stage3.pth'),
    't5_lambda_0': (SEQ[:1], 0.05, 0.02, 1.0, 'best_stage1.pth'),
    't5_lambda_0_01': (SEQ, 0.01, 0.02, 1.0, 'best_stage3.pth'),
    't5_lambda_0_02': (SEQ, 0.02, 0.02, 1.0, 'best_stage3.pth'),
    't5_lambda_0_05': (SEQ, 0.05, 0.02, 1.0, 'best_stage3.pth'),
    't5_lambda_0_1': (SEQ, 0.1, 0.02, 1.0, 'best_stage3.pth'),
    't6_joint': (JOINT, 0.05, 0.02, 1.0, 'best_stage3.pth'),
    't6_rounds_1': (SEQ, 0.05, 0.02, 1.0, 'best_stage3.pth'),
    't6_rounds_2': (SEQ + NEXT, 0.05, 0.02, 1.0, 'best_stage3_round2.pth'),
    't6_rounds_3': (SEQ + NEXT + NEXT, 0.05, 0.02, 1.0,
                    'best_stage3_round3.pth'),
}
VOC = 'weaktr-deit-s_8xb8'
# row -> its VOC config (a row that changes nothing is the main config)
VOC_CONFIGS = {
    't4_match_only': f'semples-match-only_{VOC}-60e_voc-224.py',
    't4_random_prompts': f'semples-random-prompts_{VOC}-2x60e_voc-224.py',
    't4_prompt_t_only': f'semples-prompt-t-only_{VOC}-3x60e_voc-224.py',
    't4_prompt_i_only': f'semples-prompt-i-only_{VOC}-3x60e_voc-224.py',
    't4_full': '../weaktr_voc.py',
    't5_lambda_0': f'semples-match-only_{VOC}-60e_voc-224.py',
    't5_lambda_0_01': f'semples-lambda0.01_{VOC}-3x60e_voc-224.py',
    't5_lambda_0_02': f'semples-lambda0.02_{VOC}-3x60e_voc-224.py',
    't5_lambda_0_05': '../weaktr_voc.py',
    't5_lambda_0_1': f'semples-lambda0.1_{VOC}-3x60e_voc-224.py',
    't6_joint': f'semples-joint_{VOC}-60e_voc-224.py',
    't6_rounds_1': '../weaktr_voc.py',
    't6_rounds_2': f'semples-2rounds_{VOC}-5x60e_voc-224.py',
    't6_rounds_3': f'semples-3rounds_{VOC}-7x60e_voc-224.py',
}
CASES = [(VOC_CONFIGS[r], r) for r in ROWS] + [(f'toy/toy_{r}.py', r)
                                               for r in ROWS]


def resolved(cfg):
    return StageSchedule(cfg.train_cfg.stages).stages


@pytest.mark.parametrize('path,row', CASES)
def test_row_resolves_to_its_stages_and_loss_weights(path, row):
    cfg = Config.fromfile(str(ABL / path))
    stages, lam, lam_t, lam_i, result = ROWS[row]
    got = [(s.stage, s.losses, s.start_from, s.joint)
           for s in resolved(cfg)]
    assert got == stages
    # the file the ablation runner reads is the last validated stage's best
    assert best_checkpoint_names(resolved(cfg))[-1] == result
    refine = MODELS.build(cfg.model.refine_loss)
    prompt = MODELS.build(cfg.model.prompt_loss)
    assert (refine.loss_weight, prompt.lambda_t, prompt.lambda_i) == (
        lam, lam_t, lam_i)
    epochs = (12, 6) if path.startswith('toy') else 60
    for s in resolved(cfg):
        expected = epochs if isinstance(epochs, int) else epochs[
            s.stage == 2]
        assert s.max_epochs == expected, (path, s)
    if row == 't6_joint':
        assert set(resolved(cfg)[0].lr) == {'cam_net', 'prompt_learner'}


@pytest.mark.parametrize('family,main', [
    ('voc', 'weaktr_voc.py'),
    ('toy', 'toy_cooccur.py')])
def test_stage_variables_equal_the_main_configs_stages(family, main):
    stages = Config.fromfile(str(ABL / '_base_' / f'{family}_stages.py'))
    main_cfg = Config.fromfile(str(REPO / 'configs' / 'semples' / main))
    assert [stages[f'{family}_stage{n}'] for n in (1, 2, 3)] == \
        main_cfg.train_cfg.stages
    if family == 'toy':
        # rows that list no stages are the main config's own three stages
        full = Config.fromfile(str(ABL / 'toy' / 'toy_t4_full.py'))
        assert full.train_cfg.stages == main_cfg.train_cfg.stages
        assert full.model == main_cfg.model


def test_round_checkpoint_names():
    stages = StageSchedule([dict(stage=n, max_epochs=1)
                            for n in (1, 2, 3, 2, 3, 2, 3)])
    assert best_checkpoint_names(stages) == [
        'best_stage1.pth', 'best_stage2.pth', 'best_stage3.pth',
        'best_stage2_round2.pth', 'best_stage3_round2.pth',
        'best_stage2_round3.pth', 'best_stage3_round3.pth']


def test_controls_use_the_worlds_home_scenes():
    manual = Config.fromfile(str(ABL / 'toy' / 'toy_ctl_manual_prompts.py'))
    assert manual.model.prompt_learner.texts == [
        f'a photo of {SCENE_NAMES[HOME_SCENE[k]]}.' for k in range(6)]
    assert manual.model.prompt_learner.texts[0] == 'a photo of water.'
    images = Config.fromfile(str(ABL / 'toy' / 'toy_ctl_scene_images.py'))
    for cfg in (manual, images):
        got = [(s.stage, s.losses) for s in resolved(cfg)]
        assert got == [(1, ('match', )), (3, ('match', 'refine'))]
        learner = MODELS.build(cfg.model.prompt_learner)
        assert tuple(learner.prompts.shape) == (6, 30, 64)
    assert images.model.prompt_learner.type == 'HomeSceneImagePrompts'


@pytest.mark.parametrize('epochs', [24])
def test_budget_controls_of_table6_are_stage_1_for_the_rounds_epochs(epochs):
    # 2 rounds train the CAM network 12 epochs per stage 3
    cfg = Config.fromfile(str(ABL / 'toy' /
                              f'toy_ctl_match_only_{epochs}e.py'))
    rounds = Config.fromfile(str(ABL / 'toy' /
                                 f'toy_t6_rounds_{epochs // 12}.py'))
    cam_epochs = sum(s.max_epochs for s in resolved(rounds) if s.stage == 3)
    got = [(s.stage, s.losses, s.max_epochs) for s in resolved(cfg)]
    assert got == [(1, ('match', ), epochs)] and cam_epochs == epochs
    assert best_checkpoint_names(resolved(cfg)) == ['best_stage1.pth']
    from semples_mmseg.cooccur.ablation import TABLES
    rows = {r.config: r for r in TABLES['table6'].rows}
    assert rows[f'toy_ctl_match_only_{epochs}e.py'].checkpoint == \
        'best_stage1.pth'
