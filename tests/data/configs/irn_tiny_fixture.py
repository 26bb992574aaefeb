# The IRNet route with CPU-sized inputs: the real ResNet-50 (random init),
# 96-pixel crops (a 24 x 24 boundary map holds pairs of radius 10), batch 2,
# one epoch, the steps' loaders in the main process.
_base_ = ['../../../configs/irn/irn_r50_1xb32-3e_voc-512.py']
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(96, 96)))
train_pipeline = [
    dict(type='LoadCheckedImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations', imdecode_backend='pillow'),
    dict(type='RandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(96, 96)),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, pin_memory=False,
    dataset=dict(ann_file='ImageSets/Segmentation/train_aug.txt',
                 pipeline=train_pipeline))
pseudo_mask_dataset = dict(ann_file='ImageSets/Segmentation/train_aug.txt')
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
