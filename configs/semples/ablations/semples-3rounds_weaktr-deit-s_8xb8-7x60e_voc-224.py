# Table 6, sequential, 3 rounds of stages 2 -> 3 (best_stage3_round3.pth).
# Paper: 68.4.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[
    {{_base_.voc_stage1}},
    {{_base_.voc_stage2}},
    {{_base_.voc_stage3}},
    {{_base_.voc_stage2}},
    {{_base_.voc_stage3_next_round}},
    {{_base_.voc_stage2}},
    {{_base_.voc_stage3_next_round}},
])
