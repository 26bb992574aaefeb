# Table 5, lambda = 0.02. Paper: 68.4.
# A delta on the main VOC config (8 GPUs); rows: configs/semples/ablations/README.md.
_base_ = ['./_base_/voc_stages.py']
model = dict(refine_loss=dict(loss_weight=0.02))
