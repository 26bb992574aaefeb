# A stock mmseg model (EncoderDecoder: ResNetV1c-18 at width 8 + FCNHead)
# with SyncBN, on mmseg's own PascalVOCDataset over a VOC-layout fixture.
# Proves the CPU distributed path of tools/dist_{train,test}.sh on stock mmseg.
# Tests set the data root with --cfg-options.
_base_ = ['../../../configs/_base_/semples_runtime.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
        seg_pad_val=255, size=(32, 32)),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8,
                  base_channels=8, num_stages=4, out_indices=(3, ),
                  norm_cfg=norm_cfg),
    decode_head=dict(type='FCNHead', in_channels=64, in_index=0, channels=16,
                     num_convs=1, concat_input=False, num_classes=21,
                     norm_cfg=norm_cfg,
                     loss_decode=dict(type='CrossEntropyLoss',
                                      loss_weight=1.0)),
    train_cfg=dict(), test_cfg=dict(mode='whole'))
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=(32, 32)),
    dict(type='PackSegInputs'),
]
voc = dict(type='PascalVOCDataset', data_root='SET_BY_TEST',
           data_prefix=dict(img_path='JPEGImages',
                            seg_map_path='SegmentationClassAug'))
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(voc, ann_file='ImageSets/Segmentation/train.txt',
                 pipeline=pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(voc, ann_file='ImageSets/Segmentation/val.txt',
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='PackSegInputs')]))
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2))
log_processor = dict(by_epoch=False)
