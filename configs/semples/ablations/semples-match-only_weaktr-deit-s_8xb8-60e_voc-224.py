# Table 4 row 1 and Table 5 lambda = 0: L_match only (stage 1 alone).
# Paper: 67.6.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[{{_base_.voc_stage1}}])
