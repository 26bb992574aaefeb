# DeepLab-V2 (ResNet-101, ASPP-V2, multi-scale max) trained on pseudo masks
# as CLIMS trains it: its copy of deeplab-pytorch, recipe
# configs/voc12_coco_pretrained.yaml + main.py. COCO-pretrained init (DeepLab's
# init.caffemodel, converted by tools/model_converters/deeplab_caffe2mmseg.py),
# batch 5 with 2 batches accumulated per update, 20k updates = 40k iterations
# here (mmengine counts batches), crop 321, BGR minus the mean, no std, plain
# CE on the full-scale, 0.5, 0.75 and max logits, SGD lr 2.5e-4 (head weights
# x10, head biases x20 without decay), poly 0.9.
# Test: the max over scales 1, 0.5, 0.75 on the full image (tools/test.py);
# then the CRF (tools/test.py --tta). Targets in configs/deeplabv2/README.md.
_base_ = ['../_base_/semples_runtime.py']

crop_size = (321, 321)
model = dict(
    type='MultiScaleMaxEncoderDecoder',
    scales=(0.5, 0.75),
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[104.008, 116.669, 122.675],  # BGR, as the reference
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_val=0,  # the mean before subtraction
        seg_pad_val=255,
        size=crop_size),
    pretrained='checkpoints/deeplabv2_r101_coco-init_mmseg.pth',
    backbone=dict(
        type='ResNetCeilPool',  # mmseg's ResNet, stem pool in ceil_mode
        depth=101,
        style='caffe',
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        contract_dilation=False),
    decode_head=dict(
        type='ASPPV2Head',
        in_channels=2048,
        in_index=0,
        num_classes=21,
        dilations=(6, 12, 18, 24),
        loss_decode=dict(
            type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# data: VOC train_aug with pseudo masks (one folder: the key
# train_dataloader.dataset.data_prefix.seg_map_path), VOC val with its masks
voc_root = 'data/VOCdevkit/VOC2012'
train_scales = (0.5, 0.75, 1.0, 1.25, 1.5)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoice',
         transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=False)]
                     for s in train_scales]),
    dict(type='RandomCrop', crop_size=crop_size),  # padded by the model
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [  # the full image, no resize
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = test_pipeline
train_dataloader = dict(
    batch_size=5,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PseudoMaskDataset',  # checks every listed mask before training
        classes_of='PascalVOCDataset',
        data_root=voc_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='pseudo_masks'),
        ann_file='ImageSets/Segmentation/trainaug.txt',
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

# tools/test.py --tta: the CRF on the softmax, Gaussian (1, 3) + bilateral
# (67, 3, 4); crf_image='mean_subtracted_bgr' feeds it the image the reference
# fed it (the network input cast to uint8), 'rgb' the image as loaded
tta_model = dict(
    type='DenseCRFTTAModel',
    crf_preset='deeplabv2',
    crf_image='mean_subtracted_bgr')

# schedule: an update every 2 iterations, so 20k updates = 40k iterations
updates = 20000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    accumulative_counts=2,
    paramwise_cfg=dict(
        custom_keys={  # the longest matching key wins
            'decode_head': dict(lr_mult=10.0),
            'decode_head.convs.0.bias': dict(lr_mult=20.0, decay_mult=0.0),
            'decode_head.convs.1.bias': dict(lr_mult=20.0, decay_mult=0.0),
            'decode_head.convs.2.bias': dict(lr_mult=20.0, decay_mult=0.0),
            'decode_head.convs.3.bias': dict(lr_mult=20.0, decay_mult=0.0),
        }))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=2 * updates,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=2 * updates, val_interval=2 * updates)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
# --cfg-options auto_scale_lr.enable=True scales the lr by the batch per step
# (GPUs x batch_size) over the reference's single GPU of 5
auto_scale_lr = dict(enable=False, base_batch_size=5)
