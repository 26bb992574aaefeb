# SemPLeS on your images and tags (one GPU), from the baseline of
# weaktr_deit-s_1xb32-60e_custom-tags-224.py:
#   python tools/train.py \
#       configs/custom/semples_weaktr-deit-s_1xb16-3x60e_custom-tags-224.py
# The three stages of configs/semples/weaktr_voc.py; each validated stage
# keeps its epoch with the lowest loss on the held-out images (image tags
# only, docs/SELECTION.md): {tags_work_dir}/semples/best_stage3.pth is the
# CAM network of the pseudo masks. Needs CLIP ViT-B/32 (docs/WEIGHTS.md).
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/custom_tags_cam.py',
    '../_base_/models/semples_weaktr_deit-s.py',
    '../_base_/schedules/semples_3x60e.py'
]
work_dir = _base_.tags_work_dir + '/semples'
model = dict(
    cam_net=dict(num_classes=_base_.tags_num_classes,
                 pretrained=_base_.tags_work_dir + '/weaktr/baseline.pth'),
    clip_guide=dict(class_names=_base_.tags_clip_texts),
    prompt_learner=dict(num_classes=_base_.tags_num_classes),
    test_cfg=dict(bg_threshold=_base_.tags_bg_threshold))
# Worth tuning (docs/CUSTOM_DATA.md): the refinement weight lambda
# (refine_loss.loss_weight, 0.05), the epochs of a small dataset.
train_cfg = dict(
    checkpoint_choice='loss',
    best_metric='held_out',
    stages=[
        dict(stage=1, max_epochs=60, lr=dict(cam_net=5.12e-4)),
        dict(stage=2, max_epochs=60, lr=dict(prompt_learner=0.1),
             dataloader=dict(
                 batch_size=32,
                 dataset=dict(pipeline=_base_.crop_flip_pipeline))),
        dict(stage=3, max_epochs=60, lr=dict(cam_net=5.12e-4)),
    ])
val_cfg = dict(_delete_=True, type='HeldOutLossValLoop')
custom_hooks = [dict(type='CAMVisualizationHook', num_images=4)]
