# Table 5, lambda = 0.02. Paper: 68.4.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
model = dict(refine_loss=dict(loss_weight=0.02))
