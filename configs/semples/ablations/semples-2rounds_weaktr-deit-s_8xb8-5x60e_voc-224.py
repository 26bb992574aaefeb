# Table 6, sequential, 2 rounds of stages 2 -> 3; stage 3 of round 2 continues
# from round 1's best (best_stage3_round2.pth is the result). Paper: 68.5.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[
    {{_base_.voc_stage1}}, {{_base_.voc_stage2}}, {{_base_.voc_stage3}},
    {{_base_.voc_stage2}}, {{_base_.voc_stage3_next_round}}
])
