# The library's configs/custom/ DeepLabV3+ at toy size (a ResNetV1c-18 of
# width 16, 96-pixel crops, 3000 iterations) on the pseudo masks of the
# plain folder (tools/run_plain_folder.py passes data_root and the masks).
_base_ = [
    '../../../../configs/custom/'
    'deeplabv3plus_r101-d8_1xb8-20k_custom-tags-512_pseudo.py'
]
classes = ['boat', 'bird', 'sheep', 'crab', 'penguin', 'clock']
folder = dict(data_root='work_dirs/cooccur_plain/plain/folder',
              img_dir='photos', label_file='tags.csv', classes=classes)
crop = (96, 96)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop),
    backbone=dict(depth=18, stem_channels=16, base_channels=16,
                  init_cfg=None),
    decode_head=dict(in_channels=128, channels=32, c1_in_channels=16,
                     c1_channels=8, dilations=(1, 2, 3, 4), num_classes=7),
    auxiliary_head=dict(in_channels=64, channels=16, num_classes=7))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(192, 96), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(folder, pipeline=train_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(folder, pipeline=test_pipeline))
max_iters = 3000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(logger=dict(interval=100),
                     checkpoint=dict(interval=1000))
# a fixed seed: at this size the model's mIoU moves by about 10 points
# from one seed to another (docs/plain_folder.md)
randomness = dict(seed=0)
