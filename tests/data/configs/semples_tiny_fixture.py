# The real SemPLeS config with CPU-sized parts: a 2-block WeakTr, a tiny
# random open_clip model, 32-pixel crops, one epoch per stage. Only sizes
# differ; the code path is the one of configs/semples/weaktr_voc.py.
# Tests set the data root with --cfg-options.
_base_ = ['../../../configs/semples/weaktr_voc.py',
          '../../fixtures/tiny_clip.py']

model = dict(
    data_preprocessor=dict(size=(32, 32)),
    cam_net=dict(
        img_size=32, embed_dims=48, depth=2, num_heads=6, aaf_reduction=4,
        pretrained=None),
    clip_guide=dict(pretrained=None, model_cfg={{_base_.TINY_CLIP_CFG}}),
    prompt_learner=dict(prompt_length=4, embed_dims=16),
    test_cfg=dict(scales=(1.0, 1.5), flip=True))

crop = 32
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=crop,
         crop_ratio_range=(0.08, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PretrainRandAugment', policies='timm_increasing',
         num_policies=2, total_level=10, magnitude_level=9,
         magnitude_std=0.5,
         hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='PackWeakSegInputs'),
]
crop_flip_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=crop,
         crop_ratio_range=(0.08, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(stages=[
    dict(stage=1, max_epochs=1, lr=dict(cam_net=5.12e-4)),
    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=0.1),
         dataloader=dict(batch_size=3,
                         dataset=dict(pipeline=crop_flip_pipeline))),
    dict(stage=3, max_epochs=1, lr=dict(cam_net=5.12e-4)),
])
default_hooks = dict(logger=dict(interval=1))
custom_hooks = [dict(type='CAMVisualizationHook', num_images=1)]
