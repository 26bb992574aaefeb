# WeakTr baseline on COCO 2014 exactly as the reference sets it up: 90 class
# tokens (raw COCO ids, ten unused), AAF mean pooling with r = 4 (SemPLeS'
# COCO commands: --reduction 4 --pool-type avg), test scales (1.0, 0.8, 1.2)
# + flip, seed threshold 0.42. The official WeakTr COCO CAM checkpoint
# (90 tokens) loads here unchanged after
#   python tools/model_converters/weaktr2semples.py WeakTr_coco.pth \
#       checkpoints/weaktr_coco90_cam.pth --as-segmentor
# e.g. to score its seeds (checkpoint choice subset, or all of train with
# --cfg-options test_dataloader.dataset.ann_file=train_ids.txt):
#   python tools/test.py configs/weaktr/weaktr_coco90.py \
#       checkpoints/weaktr_coco90_cam.pth
# A 90 -> 80 conversion cannot be exact (the unused class tokens take part
# in every attention softmax): the 80-class configs (weaktr_coco.py) need a
# checkpoint trained with 80 classes.
# Data: configs/_base_/datasets/coco90_weak.py (converter --id-space 90).
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/coco90_weak.py',
    '../_base_/models/weaktr_deit-s.py', '../_base_/schedules/weaktr_60e.py'
]
model = dict(
    cam_net=dict(num_classes=90, aaf_pool='mean', aaf_reduction=4),
    test_cfg=dict(scales=(1.0, 0.8, 1.2), flip=True, bg_threshold=0.42))
# WeakTr's lr rule with the COCO nominal rate, as weaktr_coco.py: 5e-4 x
# total batch 32 / 512 = 3.125e-5 (auto_scale_lr, schedules/weaktr_60e.py)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (5e-4 * 32 / 512),
         by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         end=60),
]
