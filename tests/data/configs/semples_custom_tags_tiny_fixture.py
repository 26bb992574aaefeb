# configs/custom/ SemPLeS with CPU-sized parts on the tests' tag folder
# (fixtures.make_tag_folder): a 2-block WeakTr, the tiny random CLIP,
# 32-pixel crops, one epoch per stage, checkpoints chosen by held-out loss.
# Tests set data_root, the work dir and the baseline with --cfg-options.
_base_ = ['../../../configs/custom/'
          'semples_weaktr-deit-s_1xb16-3x60e_custom-tags-224.py',
          '../../fixtures/tiny_clip.py']
classes = ['cat', 'dining table']
folder = dict(img_dir='photos', label_file='tags.csv', classes=classes,
              held_out=0.25)
model = dict(
    data_preprocessor=dict(size=(32, 32)),
    cam_net=dict(num_classes=2, img_size=32, embed_dims=48, depth=2,
                 num_heads=6, aaf_reduction=4, pretrained=None),
    clip_guide=dict(pretrained=None, model_cfg={{_base_.TINY_CLIP_CFG}},
                    class_names=classes),
    prompt_learner=dict(num_classes=2, prompt_length=4, embed_dims=16),
    test_cfg=dict(scales=(1.0, ), flip=True))
crop_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=32,
         crop_ratio_range=(0.5, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs'),
]
held_out_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False, backend='pillow',
         interpolation='bicubic'),
    dict(type='PackWeakSegInputs'),
]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(loader, batch_size=2,
                        dataset=dict(folder, pipeline=crop_pipeline))
val_dataloader = dict(loader, dataset=dict(folder,
                                           pipeline=held_out_pipeline))
test_dataloader = dict(loader, dataset=dict(folder))
train_cfg = dict(stages=[
    dict(stage=1, max_epochs=1, lr=dict(cam_net=5e-4)),
    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=0.1),
         dataloader=dict(batch_size=3,
                         dataset=dict(pipeline=crop_pipeline))),
    dict(stage=3, max_epochs=1, lr=dict(cam_net=5e-4)),
])
default_hooks = dict(logger=dict(interval=1))
custom_hooks = []
