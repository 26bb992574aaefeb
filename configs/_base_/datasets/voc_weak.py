# PASCAL VOC 2012 + SBD with image-level labels (METHOD section 7), as the
# VOC download and mmseg's own SBD converter leave it (docs/DATA.md):
#   JPEGImages/, Annotations/ (labels), SegmentationClass/ (VOC's masks),
#   SegmentationClassAug/ (SBD's), ImageSets/Segmentation/{trainaug,train,
#   val}.txt (trainaug.txt: 10582 ids, written by mmseg's voc_aug.py).
# Image labels come from the XML annotations, the source of the reference's
# cls_labels.npy (every object counts). With the reference's files instead:
#   --cfg-options
#   train_dataloader.dataset.ann_file=ImageSets/Segmentation/train_aug.txt
#   {train,val}_dataloader.dataset.label_source=file
#   {train,val}_dataloader.dataset.label_file=cls_labels.npy
dataset_type = 'VOCWeakDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 224

# WeakTr / SemPLeS "full" augmentation (stages 1 and 3): timm's recipe.
# Normalisation (ImageNet mean / std) is the model's SegDataPreProcessor.
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=crop_size,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bicubic',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='PretrainRandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(
        type='mmpretrain.RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[103.53, 116.28, 123.675],
        fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackWeakSegInputs', num_classes=20),
]
# stage 2 (prompt learning): crop + flip only
crop_flip_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=crop_size,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bicubic',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs', num_classes=20),
]
# CAM evaluation: full image, GT mask, labels; scales + flip are the model's
# mmcv's own loader (MMSegInferencer and inference_model look for it) with
# Pillow decoding, as the reference reads images
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs', num_classes=20),
]
# tools/test.py --tta: one view per image, the views are the model's
# (SemPLeSTTAModel runs the segmentor's multi-scale + flip inference)
tta_pipeline = test_pipeline

# batch per GPU: 8 GPUs x 8 = 64 (METHOD section 5, stages 1 and 3 on VOC)
train_dataloader = dict(
    batch_size=8,
    # 8 workers per GPU: one worker runs this pipeline at about 180
    # images/s of one CPU core (benchmark_semples.py, VOC-sized JPEGs), so 8
    # feed ~1400 images/s, a step of ~6 ms at batch 8; an AMP step of a
    # datacenter GPU is estimated at 4-10 ms (not measured here: no GPU;
    # scripts/gpu_check.sh prints the measured need, docs/GPU.md)
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,  # page-locked batches: asynchronous copies to the GPU
    # DefaultSampler + per-sample augmentation seeds: --resume is exact
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        label_source='xml',
        pipeline=train_pipeline))
# Seed mIoU is measured on VOC train (1464 images): VOC's own masks (mmseg's
# converter puts only SBD's into SegmentationClassAug/)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClass'),
        label_source='xml',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# thresholds 0.40-0.59; the reference's greedy stop (METHOD section 6)
val_evaluator = dict(type='CAMSeedMetric', selection='greedy')
test_evaluator = val_evaluator
