# SemPLeS on CLIMS with CPU-sized inputs: the real ResNet-50 (random init),
# a tiny random open_clip model, 64-pixel crops, one epoch per stage.
_base_ = ['../../../configs/semples/clims_voc.py',
          '../../fixtures/tiny_clip.py']
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    cam_net=dict(pretrained=None),
    clip_guide=dict(pretrained=None, model_cfg={{_base_.TINY_CLIP_CFG}}),
    prompt_learner=dict(prompt_length=4, embed_dims=16),
    test_cfg=dict(scales=(1.0, ), flip=True))
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResize', scale=(80, 80), ratio_range=(0.5, 1.0),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(64, 64)),
    dict(type='PackWeakSegInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
cam_lr = dict(cam_net=2.5e-4, classifier=2.5e-3)
train_cfg = dict(val_interval=1, stages=[
    dict(stage=1, max_epochs=1, losses=['match', 'cam'], lr=cam_lr,
         schedule='poly'),
    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=2.5e-2)),
    dict(stage=3, max_epochs=1, losses=['match', 'cam', 'refine'], lr=cam_lr,
         schedule='poly'),
])
default_hooks = dict(logger=dict(interval=1))
