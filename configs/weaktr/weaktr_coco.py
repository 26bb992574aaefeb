# WeakTr baseline CAM training on COCO 2014, 80 contiguous classes (the
# "without SemPLeS" side; the reference's 90-token setup is weaktr_coco90.py).
# AAF mean pooling r = 4 and the nominal lr 5e-4 of the WeakTr command the
# SemPLeS repository documents (WeakTr's own later COCO command: 2e-4, r = 8,
# max pooling); test scales and seed threshold: docs/METHOD.md sections 1, 6.
# Paper (SemPLeS Table 2): WeakTr 44.4 COCO val mIoU (Segmenter on its masks);
# no COCO seed mIoU is reported.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/coco_weak.py',
    '../_base_/models/weaktr_deit-s.py', '../_base_/schedules/weaktr_60e.py'
]
model = dict(
    cam_net=dict(num_classes=80, aaf_pool='mean', aaf_reduction=4),
    test_cfg=dict(scales=(1.0, 0.8, 1.2), flip=True, bg_threshold=0.42))
optim_wrapper = dict(optimizer=dict(lr=5e-4))  # x total batch 32 / 512
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (5e-4 * 32 / 512),
         by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         end=60),
]
pseudo_mask_crf = dict(preset='weaktr_coco')  # (3, 3) + (50, 5, 10)
