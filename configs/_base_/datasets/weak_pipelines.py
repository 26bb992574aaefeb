# The image pipelines of the weakly supervised CAM stages, shared by the VOC
# and COCO dataset bases (voc_weak.py, coco_weak.py and their 512 variants).
# Children use them as {{_base_.train_pipeline}} etc.
# No class count here: the dataset checks every label vector against its K
# when it reads the labels, and the run checks the dataset's K against the
# CAM network's before the first iteration.
crop_size = 224

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
    dict(type='PackWeakSegInputs'),
]
# WeakTr / SemPLeS "full" augmentation (stages 1 and 3): timm's recipe, the
# same crop + flip, then RandAugment and random erasing.
# Normalisation (ImageNet mean / std) is the model's SegDataPreProcessor.
train_pipeline = crop_flip_pipeline[:-1] + [
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
    dict(type='PackWeakSegInputs'),
]
# CAM evaluation: full image, GT mask, labels; scales + flip are the model's
# mmcv's own loader (MMSegInferencer and inference_model look for it) with
# Pillow decoding, as the reference reads images
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs'),
]
# tools/test.py --tta: one view per image, the views are the model's
# (SemPLeSTTAModel runs the segmentor's multi-scale + flip inference)
tta_pipeline = test_pipeline
# label-free selection (docs/SELECTION.md): held-out images at the training
# crop size, no augmentation, image labels only
held_out_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False,
         backend='pillow', interpolation='bicubic'),
    dict(type='PackWeakSegInputs'),
]
# CLIMS' augmentation (its 512 configs): long side resized to 320-640, flip,
# 512 x 512 crops (zero-padded after normalisation by the model's data
# preprocessor, as IRNet / CLIMS pad)
clims_train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='PackWeakSegInputs'),
]
