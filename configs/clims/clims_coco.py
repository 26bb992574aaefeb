# CLIMS baseline on COCO 2014 (the "without SemPLeS" side on COCO): CLIMS'
# COCO loss weights and background prompts, VOC's network and schedule, seeds
# at 0.10 (docs/METHOD.md sections 1 and 6). Checkpoints are chosen by seed
# mIoU on val_seed_1250.txt. The paper reports no CLIMS number on COCO.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/coco_weak_512.py',
    '../_base_/models/clims_r50.py', '../_base_/schedules/clims_15e.py'
]
model = dict(
    # CLIMS's COCO baseline CAM (cam-baseline-coco/res50_cam.pth, converted)
    cam_net=dict(num_classes=80, pretrained='checkpoints/clims_coco_cam.pth'),
    clip_guide=dict(class_names={{_base_.coco_prompt_names}}),
    match_loss=dict(lambda_b=7.0, loss_weight=2.0),  # 2 L_OTM + 14 L_BTM
    background_text_loss=dict(
        background_prompts='coco', threshold=0.285, loss_weight=1.25),
    test_cfg=dict(bg_threshold=0.1))
val_evaluator = dict(
    thresholds=[round(t / 100, 2) for t in range(5, 60)], threshold_rule='max')
test_evaluator = val_evaluator
