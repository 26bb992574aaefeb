# Table 4 row 2: + L_refine with random, unlearned prompts (no stage 2). Paper: 67.6.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[{{_base_.toy_stage1}}, {{_base_.toy_stage3}}])
