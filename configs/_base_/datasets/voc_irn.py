# VOC 2012 + SBD for the IRNet route (docs/DATA.md layout):
# - the steps' images: train_aug (10582; mmseg's trainaug.txt), image labels
#   from the XML annotations as the CAM configs read them;
# - IRNet's training set: the same images with the IR labels of
#   tools/irn/make_ir_labels.py as masks (every one required, checked when
#   the dataset is built), IRNet's augmentation: scale 0.5-1.5 of the image's
#   own size (image bicubic, labels nearest), flip, random 512 crop (padded
#   after normalisation by the model's data preprocessor);
# - the pseudo-mask scores: VOC train (1464) against VOC's own masks, as
#   CLIMS scores them (step/eval_sem_seg.py).
import os.path as osp

data_root = 'data/VOCdevkit/VOC2012'
# Files between the steps; absolute paths resolved where the commands run
# (the repository root); the route's folder is tools/train.py's default
# work dir of the IRNet config
irn_dir = osp.abspath('work_dirs/irn_r50_1xb32-3e_voc-512')
cam_dir = irn_dir + '/cams'  # step 1 (tools/irn/make_irn_cams.py --out-dir)
ir_label_dir = irn_dir + '/ir_label'  # step 2
sem_seg_dir = irn_dir + '/sem_seg'  # step 4
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='PackWeakSegInputs'),
]
train_pipeline = [
    dict(type='LoadCheckedImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadAnnotations', imdecode_backend='pillow'),
    dict(type='RandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='PackSegInputs'),
]
pseudo_mask_dataset = dict(
    type='VOCWeakDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/trainaug.txt',
    data_prefix=dict(img_path='JPEGImages', seg_map_path=''),
    label_source='xml',
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type='VOCWeakDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=ir_label_dir),
        masks_required=True,
        pipeline=train_pipeline))
score_dataset = dict(
    type='VOCWeakDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/train.txt',
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    label_source='xml',
    masks_required=True,
    scan=False,
    pipeline=[])
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
