# IRNet's boundary branch and random walk on the co-occurrence world: the
# library's configs/irn/irn_r50_1xb32-3e_voc-512.py (CLIMS's root pipeline:
# IR labels 0.30 / 0.10 through the label CRF, pairs of radius 10, walk
# radius 5, beta 10, 2^8 steps, background 0.2, no CRF; batch 32, SGD lr 0.1
# with momentum 1e-4, poly) at the world's size. What differs, and why:
# - the frozen ResNet-50 starts from the toy CLIMS baseline CAM's backbone
#   (../clims/toy_cam_cooccur.py; the world has no ImageNet weights);
# - 96-pixel crops (24 x 24 boundary maps) and 20 epochs of the 600 train
#   images (360 steps; the reference: 990 steps of VOC train_aug);
# - the masks are scored on the world's train split, as CLIMS scores VOC
#   train.
# tools/clims_route.py runs the steps with per-side folders; the defaults
# below are the CLIMS side of its seed 0.
import os.path as osp

_base_ = ['../../../../configs/irn/irn_r50_1xb32-3e_voc-512.py']
custom_imports = dict(
    imports=['semples_mmseg', 'cooccur_demo'], allow_failed_imports=False)
data_root = 'work_dirs/cooccur/world'
irn_dir = osp.abspath('work_dirs/cooccur/clims_route/clims')
cam_dir = irn_dir + '/cams'
ir_label_dir = irn_dir + '/ir_label'
sem_seg_dir = irn_dir + '/sem_seg'
model = dict(
    pretrained='work_dirs/cooccur/clims_route/cam.pth',
    data_preprocessor=dict(size=(96, 96)))
train_pipeline = [
    dict(type='LoadCheckedImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations', imdecode_backend='pillow'),
    dict(type='RandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(96, 96)),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='PackWeakSegInputs'),
]
world_train = dict(
    type='CooccurWorldDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/train.txt',
    label_file='cls_labels.npy')
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        world_train,
        _delete_=True,
        data_prefix=dict(img_path='JPEGImages', seg_map_path=ir_label_dir),
        masks_required=True,
        pipeline=train_pipeline))
pseudo_mask_dataset = dict(world_train, _delete_=True, pipeline=test_pipeline)
score_dataset = dict(
    world_train, _delete_=True, masks_required=True, pipeline=[])
max_epochs = 20
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
