# configs/custom/ DeepLabV3+ with CPU-sized parts on the tests' tag folder
# and its pseudo masks: 64-pixel crops, 2 iterations, no weight files.
# Tests set data_root and the mask folder with --cfg-options.
_base_ = ['../../../configs/custom/'
          'deeplabv3plus_r101-d8_1xb8-20k_custom-tags-512_pseudo.py']
folder = dict(img_dir='photos', label_file='tags.csv',
              classes=['cat', 'dining table'])
crop = (64, 64)
model = dict(pretrained=None, data_preprocessor=dict(size=crop),
             backbone=dict(init_cfg=None),
             decode_head=dict(num_classes=3),
             auxiliary_head=dict(num_classes=3))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(folder, pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='RandomCrop', crop_size=crop),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs'),
    ]))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(folder, pipeline=[
                           dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='PackSegInputs'),
                       ]))
max_iters = 2
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
