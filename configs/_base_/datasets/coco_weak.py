# COCO 2014 with image-level labels (METHOD section 7), as written by
#   python tools/dataset_converters/coco2014_weak.py \
#       data/coco data/coco/semples
# data_root is the converter's output; images are read where the official
# download keeps them (img_dir is relative to data_root, or absolute):
#   data/coco/train2014/COCO_train2014_{id}.jpg, data/coco/val2014/...
#   data/coco/semples/masks/{train,val}2014/COCO_{split}2014_{id}.png
#   data/coco/semples/cls_labels_coco80.npy, train_ids.txt (82081),
#   val_ids.txt (40137), val_seed_1250.txt
# The model sees 80 contiguous classes; for files converted with --id-space 90
# set id_space=90 and label_file='cls_labels_coco90.npy' in both dataloaders.
_base_ = ['./weak_pipelines.py']
from importlib import import_module

dataset_type = 'COCOWeakDataset'
data_root = 'data/coco/semples'
# the 80 names CLIP reads in "a photo of {name}.", from the package's
# class_names.py; CAM configs pass them to model.clip_guide.class_names
coco_prompt_names = list(
    import_module('semples_mmseg.datasets.class_names').COCO_PROMPT_NAMES)

# batch per GPU: 8 GPUs x 4 = 32 (METHOD section 5, stages 1 and 3 on COCO)
train_dataloader = dict(
    batch_size=4,
    num_workers=8,  # enough for an AMP step (docs/GPU.md; gpu_check.sh)
    persistent_workers=True,
    pin_memory=True,  # page-locked batches: asynchronous copies to the GPU
    # DefaultSampler + per-sample augmentation seeds: --resume is exact
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_ids.txt',
        img_dir='../train2014',
        seg_dir=None,  # training uses image labels only
        label_file='cls_labels_coco80.npy',
        id_space=80,
        pipeline={{_base_.train_pipeline}}))
# Seed mIoU (checkpoint choice, METHOD sections 5-6) on a seeded 1250-image
# subset of val with its masks
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val_seed_1250.txt',
        img_dir='../val2014',
        seg_dir='masks/val2014',
        label_file='cls_labels_coco80.npy',
        id_space=80,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# thresholds 0.40-0.59; the reference's greedy stop (METHOD section 6)
val_evaluator = dict(type='CAMSeedMetric', threshold_rule='greedy')
test_evaluator = val_evaluator
