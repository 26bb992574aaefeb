# Table 4 row 1 / Table 5 lambda = 0: L_match only (stage 1 alone). Paper: 67.6.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[{{_base_.toy_stage1}}])
