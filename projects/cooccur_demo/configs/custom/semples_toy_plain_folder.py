# The library's configs/custom/ SemPLeS on the co-occurrence world exported
# as a plain folder and a CSV (tools/export_plain_folder.py): the toy sizes,
# toy CLIP, epochs and rates of ../semples/toy_cooccur.py, each stage's
# checkpoint chosen by the held-out loss, the library's fixed threshold.
# tools/run_plain_folder.py runs it and passes the two weight files:
#   model.cam_net.pretrained=<the baseline of weaktr_toy_plain_folder.py>
#   model.clip_guide.pretrained=<the demo's toy CLIP>
_base_ = [
    '../../../../configs/custom/'
    'semples_weaktr-deit-s_1xb16-3x60e_custom-tags-224.py',
    '../_base_/models/toy_clip.py'
]
classes = ['boat', 'bird', 'sheep', 'crab', 'penguin', 'clock']
folder = dict(data_root='work_dirs/cooccur_plain/plain/folder',
              img_dir='photos', label_file='tags.csv', classes=classes)
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    cam_net=dict(
        num_classes=6, img_size=96, patch_size=8, embed_dims=96, depth=4,
        num_heads=6, drop_path_rate=0.0, patch_refine=False,
        pretrained='work_dirs/cooccur_plain/weaktr/baseline.pth'),
    clip_guide=dict(
        arch=None, model_cfg={{_base_.toy_clip}},
        pretrained='work_dirs/cooccur/toy_clip.pt', quick_gelu=False,
        class_names=classes),
    prompt_learner=dict(num_classes=6, embed_dims=64),
    test_cfg=dict(scales=(1.0, 1.25), flip=True))
toy_crop_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=96,
         crop_ratio_range=(0.6, 1.0), interpolation='bicubic',
         backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs'),
]
toy_held_out_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(96, 96), keep_ratio=False, backend='pillow',
         interpolation='bicubic'),
    dict(type='PackWeakSegInputs'),
]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(loader, batch_size=32, dataset=dict(
    folder, pipeline=toy_crop_pipeline))
val_dataloader = dict(loader, dataset=dict(
    folder, pipeline=toy_held_out_pipeline))
test_dataloader = dict(loader, dataset=dict(folder))
# the toy's rates as given, and its epochs (../semples/toy_cooccur.py)
auto_scale_lr = dict(enable=False)
train_cfg = dict(stages=[
    dict(stage=1, max_epochs=12, lr=dict(cam_net=1e-3)),
    dict(stage=2, max_epochs=6, lr=dict(prompt_learner=2.5e-2),
         dataloader=dict(batch_size=32,
                         dataset=dict(pipeline=toy_crop_pipeline))),
    dict(stage=3, max_epochs=12, lr=dict(cam_net=1e-3)),
])
default_hooks = dict(logger=dict(interval=10))
