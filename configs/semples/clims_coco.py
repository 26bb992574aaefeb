# SemPLeS on CLIMS, COCO 2014: the choices of clims_voc.py on the CLIMS COCO
# baseline with SemPLeS' COCO lambda_T 0.01 and lambda 0.2 (docs/METHOD.md
# sections 1 and 3). No public code and no published number for this pair.
_base_ = [
    '../clims/clims_coco.py',
    '../_base_/schedules/semples_clims_3x15e.py'
]
model = dict(
    prompt_learner=dict(
        type='BackgroundPromptLearner', num_classes=80, prompt_length=30),
    prompt_loss=dict(type='ContrastivePromptLoss', lambda_t=0.01),
    refine_loss=dict(type='PromptRefinementLoss', loss_weight=0.2))
optim_wrapper = {{_base_.semples_clims_optim_wrapper}}
param_scheduler = []
train_cfg = {{_base_.semples_clims_train_cfg}}
default_hooks = dict(checkpoint=dict(save_best=None))
