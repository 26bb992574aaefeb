# Table 5, lambda = 0.1. Paper: 67.8.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
model = dict(refine_loss=dict(loss_weight=0.1))
