# SemPLeS on CLIMS, COCO 2014. No public code and no published number for
# this pair: the choices of clims_voc.py apply
# (read its header):
#   stage 1: CLIMS on COCO without L_CBS (2 L_OTM + 14 L_BTM + 0.2 L_REG);
#   stage 2: background prompts learned with the stage-1 CAMs (S frozen);
#   stage 3: CLIMS again from ImageNet weights with L_CBS replaced by
#            lambda * L_refine.
# SemPLeS' COCO constants (METHOD section 3): lambda_T 0.01, lambda 0.2.
# The prompt lr for SGD (2.5e-2) is the VOC config's untuned choice.
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
