# WeakTr's online retraining (hustvl/WeakTr OnlineRetraining/, its VOC
# command): Segmenter, DeiT-S encoder + 2-layer mask-transformer decoder,
# trained on pseudo masks of VOC train_aug with the gradient-clipping decoder
# loss (GCD), 1 GPU x batch 4, 100 epochs, crop 480. Evaluation as reported:
# tools/test.py --tta (6 scales x flip, slide 480 / 320, decoder fusion 0.8,
# probability CRF) on the last checkpoint. README.md: targets and commands.
_base_ = ['../_base_/semples_runtime.py']

crop_size = (480, 480)
voc_root = 'data/VOCdevkit/VOC2012'
# the pseudo masks (tools/make_pseudo_masks.py ... --crf), relative to
# voc_root or absolute: --cfg-options
#   train_dataloader.dataset.data_prefix.seg_map_path=/path/to/masks
pseudo_mask_dir = 'pseudo_masks'

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet, as DeiT
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=crop_size,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='WeakTrEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='StrictVisionTransformer',
        img_size=crop_size,
        patch_size=16,
        embed_dims=384,
        num_layers=12,
        num_heads=6,
        mlp_ratio=4,
        qkv_bias=True,
        patch_bias=True,  # DeiT's patch embedding has a bias (mmseg: False)
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        with_cls_token=True,
        final_norm=True,
        norm_cfg=dict(type='LN', eps=1e-5),  # WeakTr's blocks: torch's eps
        interpolate_mode='bilinear',  # WeakTr resizes pos_embed bilinearly
        # DeiT-S ImageNet-1k converted with mmseg's vit2mmseg.py (README)
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/deit_small_patch16_224-cd65a155_mmseg.pth'
        )),
    decode_head=dict(
        type='FusedSegmenterMaskHead',
        in_channels=384,
        channels=384,
        num_classes=21,
        num_layers=2,
        num_heads=6,
        embed_dims=384,
        mlp_ratio=4,
        drop_rate=0.1,  # WeakTr's decoder dropout drops attention too
        attn_drop_rate=0.1,
        drop_path_rate=0.0,
        dropout_ratio=0.0,
        fusion_weight=0.8,
        # per-process statistics, as the reference (sync_statistics=False)
        loss_decode=dict(
            type='GradientClippingLoss', start_value=1.2, window_size=120)),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(320, 320)))

# data: mmseg transforms with WeakTr's sizes (im_size 520, max ratio 8)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(4160, 520), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(4160, 520), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=(int(4160 * r), int(520 * r)),
                  keep_ratio=True) for r in img_ratios],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
tta_model = dict(type='CRFSegTTAModel', crf_preset='weaktr_voc_final')
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type='PseudoMaskDataset',
        classes_of='PascalVOCDataset',
        data_root=voc_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_mask_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PascalVOCDataset',
        data_root=voc_root,
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# schedule: SGD with nesterov, lr 1e-4 (decoder) / 1e-5 (encoder, x0.1),
# no weight decay, poly 0.9 per iteration to 0.1 x each group's lr
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=1e-4, momentum=0.9, nesterov=True, weight_decay=0.0),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='RelativeFloorPolyLR', eta_min_ratio=0.1, power=0.9, begin=0,
         end=100, by_epoch=True, convert_to_iter_based=True)
]
# the reference validates every epoch at one scale; the reported model is
# the last epoch's either way
train_cfg = dict(
    type='ExactEpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=10,
                    max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='RNGStateHook'),  # exact --resume
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=4)
