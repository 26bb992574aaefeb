# SemPLeS on CLIMS on the co-occurrence world (the compatibility table's
# "CLIMS + SemPLeS" side): the stages of the library's
# configs/semples/clims_voc.py on ../clims/toy_cooccur.py. Stage 1 (CLIMS
# without L_CBS, plus L_match) starts from the baseline CAM that CLIMS
# starts from (../clims/toy_cam_cooccur.py, model.cam_net.pretrained),
# stage 2 learns the prompts, stage 3 (CLIMS again with L_CBS replaced by
# lambda * L_refine) starts from that baseline CAM again, as SemPLeS on
# WeakTr restarts from the WeakTr baseline. Epochs 12 / 6 / 12 (the WeakTr
# toy's) at CLIMS's toy learning rate (2.5e-5, classifier x10: as
# configs/semples/clims_voc.py runs its CAM stages at CLIMS's rate); lambda
# 0.05 and the prompt lr are the library's untuned values.
_base_ = [
    '../clims/toy_cooccur.py',
    '../../../../configs/_base_/schedules/semples_clims_3x15e.py'
]
cam_lr = dict(cam_net=2.5e-5, classifier=2.5e-4)
model = dict(
    prompt_learner=dict(
        type='BackgroundPromptLearner', num_classes=6, prompt_length=30,
        embed_dims=64),
    prompt_loss=dict(type='ContrastivePromptLoss', lambda_t=0.02),
    refine_loss=dict(type='PromptRefinementLoss', loss_weight=0.05))
optim_wrapper = {{_base_.semples_clims_optim_wrapper}}
param_scheduler = []
train_cfg = dict(
    _delete_=True,
    type='SemPLeSTrainLoop',
    val_interval=4,
    best_metric='mIoU',
    stages=[
        dict(stage=1, max_epochs=12, losses=['match', 'cam'], lr=cam_lr,
             schedule='poly'),
        dict(stage=2, max_epochs=6, lr=dict(prompt_learner=2.5e-2)),
        dict(stage=3, max_epochs=12, losses=['match', 'cam', 'refine'],
             lr=cam_lr, schedule='poly'),
    ])
default_hooks = dict(checkpoint=dict(save_best=None))
