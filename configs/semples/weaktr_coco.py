# SemPLeS on WeakTr (DeiT-S), COCO 2014, 80 classes: three stages of 60 epochs
# on 8 GPUs with the COCO constants of docs/METHOD.md sections 3, 5 and 6,
#   tools/dist_train.sh configs/semples/weaktr_coco.py 8
# Paper (Table 2): 56.1 COCO val mIoU with Mask2Former on its masks (WeakTr
# 44.4 with Segmenter); no COCO seed mIoU. Checkpoints are chosen by seed mIoU
# on val_seed_1250.txt.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/coco_weak.py',
    '../_base_/models/semples_weaktr_deit-s.py',
    '../_base_/schedules/semples_3x60e.py'
]
model = dict(
    cam_net=dict(
        num_classes=80,
        aaf_pool='mean',
        aaf_reduction=4,
        # an 80-class baseline of configs/weaktr/weaktr_coco.py (the official
        # 90-token checkpoint fits weaktr_coco90.py)
        pretrained='checkpoints/weaktr_coco_cam.pth'),
    clip_guide=dict(class_names={{_base_.coco_prompt_names}}),
    prompt_learner=dict(num_classes=80),
    match_loss=dict(lambda_b=0.75),
    prompt_loss=dict(lambda_t=0.01),
    refine_loss=dict(loss_weight=0.2),
    test_cfg=dict(scales=(1.0, 0.8, 1.2), flip=True, bg_threshold=0.42))
optim_wrapper = dict(optimizer=dict(lr=5.12e-6))
train_cfg = dict(stages=[
    dict(stage=1, max_epochs=60, lr=dict(cam_net=5.12e-6)),
    dict(
        stage=2,
        max_epochs=60,
        lr=dict(prompt_learner=0.01),
        dataloader=dict(
            batch_size=16,
            dataset=dict(pipeline={{_base_.crop_flip_pipeline}}))),
    dict(
        stage=3,
        max_epochs=60,
        lr=dict(cam_net=5.12e-6),
        dataloader=dict(batch_size=3)),
])
custom_hooks = [dict(type='CAMVisualizationHook', num_images=4)]
pseudo_mask_crf = dict(preset='weaktr_coco')  # (3, 3) + (50, 5, 10)
