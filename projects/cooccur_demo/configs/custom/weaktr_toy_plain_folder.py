# The library's configs/custom/ WeakTr baseline on the co-occurrence world
# exported as a plain folder and a CSV (tools/export_plain_folder.py): the
# toy sizes of ../weaktr/toy_cooccur.py, the world's 6 object names as the
# classes, checkpoints chosen by the held-out loss; no mask is read.
# tools/run_plain_folder.py runs it (data_root and work_dir from there).
_base_ = [
    '../../../../configs/custom/weaktr_deit-s_1xb32-60e_custom-tags-224.py'
]
classes = ['boat', 'bird', 'sheep', 'crab', 'penguin', 'clock']
folder = dict(data_root='work_dirs/cooccur_plain/plain/folder',
              img_dir='photos', label_file='tags.csv', classes=classes)
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    cam_net=dict(
        num_classes=6, img_size=96, patch_size=8, embed_dims=96, depth=4,
        num_heads=6, drop_path_rate=0.0, pretrained=None,
        patch_refine=False),  # as ../weaktr/toy_cooccur.py
    test_cfg=dict(scales=(1.0, 1.25), flip=True))
# the toy world's crops (../_base_/datasets/cooccur_world.py)
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
# the toy's schedule (../weaktr/toy_cooccur.py): lr 1e-3 as given, 20 epochs
auto_scale_lr = dict(enable=False)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
max_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=2,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(logger=dict(interval=10))
