# Table 4 row 1 / Table 5 lambda = 0: L_match only (stage 1 alone). Paper: 67.6.
# A delta on the main VOC config (8 GPUs); rows: configs/semples/ablations/README.md.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[{{_base_.voc_stage1}}])
