# COCO weak labels with CLIMS' augmentation: long side resized to 320-640,
# flip, 512 x 512 crops (zero-padded after normalisation by the model's data
# preprocessor, as IRNet / CLIMS pad). Batch 4 per GPU x 4 GPUs = CLIMS' 16.
_base_ = ['./coco_weak.py']
crop_size = 512
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0),
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='PackWeakSegInputs', num_classes=80),
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
