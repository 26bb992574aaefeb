# Table 6, sequential, 2 rounds of stages 2 -> 3; stage 3 of round 2 continues
# from round 1's best (best_stage3_round2.pth is the result). Paper: 68.5.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[{{_base_.toy_stage1}}, {{_base_.toy_stage2}}, {{_base_.toy_stage3}},
                         {{_base_.toy_stage2}}, {{_base_.toy_stage3_next_round}}])
