# SemPLeS on WeakTr (DeiT-S), PASCAL VOC: three stages of 60 epochs, 8 GPUs,
#   tools/dist_train.sh configs/semples/weaktr_voc.py 8
# Total batch 64 / 128 / 64 (8 / 16 / 8 per GPU), lambda_b 2.4, lambda_T 0.02,
# lambda 0.05; learning rates: docs/METHOD.md section 5. Target: seed mIoU 68.7
# on VOC train (stage 1 alone: 67.6; WeakTr: 65.9).
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/voc_weak.py',
    '../_base_/models/semples_weaktr_deit-s.py',
    '../_base_/schedules/semples_3x60e.py'
]
# the schedule's three stages; stage 2 (prompts) reads 16 images per GPU with
# crop + flip only
train_cfg = dict(stages=[
    _base_.train_cfg.stages[0],
    dict(
        _base_.train_cfg.stages[1],
        dataloader=dict(
            batch_size=16,
            dataset=dict(pipeline=_base_.crop_flip_pipeline))),
    _base_.train_cfg.stages[2],
])
custom_hooks = [dict(type='CAMVisualizationHook', num_images=4)]
