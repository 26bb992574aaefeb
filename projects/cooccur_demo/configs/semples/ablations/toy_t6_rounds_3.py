# Table 6, sequential, 3 rounds of stages 2 -> 3 (best_stage3_round3.pth). Paper: 68.4.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[{{_base_.toy_stage1}}, {{_base_.toy_stage2}}, {{_base_.toy_stage3}},
                         {{_base_.toy_stage2}}, {{_base_.toy_stage3_next_round}},
                         {{_base_.toy_stage2}}, {{_base_.toy_stage3_next_round}}])
