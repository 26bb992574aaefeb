# The ImageNet-initialised recipe of CLIMS's DeepLab-V2
# (configs/voc12_imagenet_pretrained.yaml + main_v2.py): ImageNet-only init
# weights, the balanced CE (without it this init diverges to NaN), scales
# 0.5 .. 2.0, batch 10 with 2 accumulated, 30k updates = 60k iterations;
# evaluated at the last checkpoint. Everything else as the COCO-init config.
_base_ = ['./deeplabv2_r101-d8-coco-init_1xb5-accum2-20k_voc-321_pseudo.py']

model = dict(
    pretrained='checkpoints/deeplabv2_r101_in1k-init_mmseg.pth',
    decode_head=dict(
        loss_decode=dict(_delete_=True, type='BalancedCrossEntropyLoss')))

train_scales = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoice',
         transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=False)]
                     for s in train_scales]),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=10)

updates = 30000
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=2 * updates,
         by_epoch=False)
]
train_cfg = dict(max_iters=2 * updates, val_interval=2 * updates)
