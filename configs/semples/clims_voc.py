# SemPLeS on CLIMS, PASCAL VOC (paper Table 3, CNN row: 71.0 val / 71.5 test
# with DeepLab-V2; CLIMS alone 70.4 / 70.0). No public code exists for this
# pair; the choices are those of docs/METHOD.md section 1: stage 1 is CLIMS
# without L_CBS, stage 2 learns the prompts, stage 3 is CLIMS again with
# L_CBS replaced by lambda * L_refine; stages 1 and 3 start from the baseline
# CAM CLIMS starts from (model.cam_net.pretrained, res50_cam.pth converted),
# one SGD optimizer for all stages; the prompt lr (2.5e-2) and lambda (0.05)
# are untuned.
_base_ = [
    '../clims/clims_voc.py',
    '../_base_/schedules/semples_clims_3x15e.py'
]
model = dict(
    prompt_learner=dict(
        type='BackgroundPromptLearner', num_classes=20, prompt_length=30),
    prompt_loss=dict(type='ContrastivePromptLoss', lambda_t=0.02),
    refine_loss=dict(type='PromptRefinementLoss', loss_weight=0.05))
optim_wrapper = {{_base_.semples_clims_optim_wrapper}}
param_scheduler = []
train_cfg = {{_base_.semples_clims_train_cfg}}
default_hooks = dict(checkpoint=dict(save_best=None))
