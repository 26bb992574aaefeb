# Table 4 row 2: + L_refine with random, unlearned prompts (no stage 2).
# Paper: 67.6.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[{{_base_.voc_stage1}}, {{_base_.voc_stage3}}])
