"""The ablation configs resolve to the paper's rows: stages, losses, weights.

Each row of Tables 4-6 is read back through the train loop's own stage
resolution and the loss modules' constructors, and compared with the row's
definition in the paper. (The co-occurrence demo's toy rows are checked
against the same ``ROWS`` in tests/projects/cooccur_demo.)
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg.registry import MODELS
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


def resolved(cfg):
    return StageSchedule(cfg.train_cfg.stages).stages


def check_row(cfg, row, epochs):
    """``cfg`` resolves to ``ROWS[row]``; ``epochs``: every stage's epochs,
    or (stages 1 and 3, stage 2)."""
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
    for s in resolved(cfg):
        expected = epochs if isinstance(epochs, int) else epochs[
            s.stage == 2]
        assert s.max_epochs == expected, (row, s)
    if row == 't6_joint':
        assert set(resolved(cfg)[0].lr) == {'cam_net', 'prompt_learner'}


@pytest.mark.parametrize('row', ROWS)
def test_row_resolves_to_its_stages_and_loss_weights(row):
    check_row(Config.fromfile(str(ABL / VOC_CONFIGS[row])), row, 60)


def check_stage_variables(stages_file, main_file, full_file, family):
    """The ``{family}_stage{1,2,3}`` variables of ``stages_file`` are the
    main config's stages, and the full row is the main config."""
    stages = Config.fromfile(str(stages_file))
    main_cfg = Config.fromfile(str(main_file))
    assert [stages[f'{family}_stage{n}'] for n in (1, 2, 3)] == \
        main_cfg.train_cfg.stages
    full = Config.fromfile(str(full_file))
    assert full.train_cfg.stages == main_cfg.train_cfg.stages
    assert full.model == main_cfg.model


def test_stage_variables_equal_the_main_configs_stages():
    main = REPO / 'configs' / 'semples' / 'weaktr_voc.py'
    check_stage_variables(ABL / '_base_' / 'voc_stages.py', main, main,
                          'voc')


def test_round_checkpoint_names():
    stages = StageSchedule([dict(stage=n, max_epochs=1)
                            for n in (1, 2, 3, 2, 3, 2, 3)])
    assert best_checkpoint_names(stages) == [
        'best_stage1.pth', 'best_stage2.pth', 'best_stage3.pth',
        'best_stage2_round2.pth', 'best_stage3_round2.pth',
        'best_stage2_round3.pth', 'best_stage3_round3.pth']
