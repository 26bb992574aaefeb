# COCO 2014 in the reference's 90-id space (WeakTr / SemPLeS: one class per
# raw COCO category id 1..90, the ten unused ids included), as written by
#   python tools/dataset_converters/coco2014_weak.py \
#       data/coco data/coco/semples90 --id-space 90
# masks 0 / category id / 255, cls_labels_coco90.npy with (90,) vectors.
# The model sees K = 90; seeds are scored over 91 classes with background,
# where the unused ids never occur and drop out as NaN (as the reference's
# evaluation.py --num_classes 91).
# Checkpoint choice as the reference: a 1250-image subset of *train*
# (WeakTr's coco/train_1250_id.txt, bare 12-digit ids). Write it in our
# layout once (the file is the reference's, not shipped here):
#   sed 's/^/COCO_train2014_/' WeakTr/coco/train_1250_id.txt \
#       > data/coco/semples90/train_1250_ids.txt
_base_ = ['./coco_weak.py']
dataset_type = 'COCO90WeakDataset'
data_root = 'data/coco/semples90'
crop_size = 224
# the reference's 90 prompt names (= COCO90_PROMPT_NAMES): raw id k is
# entry k - 1, the unused ids carry the names of its list ('street sign',
# 'hat', 'shoe', 'eye glasses', 'plate', 'mirror', 'window', 'desk', 'door',
# 'blender')
coco90_prompt_names = [
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'street sign',
    'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse',
    'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'hat',
    'backpack', 'umbrella', 'shoe', 'eye glasses', 'handbag', 'tie',
    'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'plate', 'wine glass', 'cup', 'fork', 'knife',
    'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli',
    'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
    'potted plant', 'bed', 'mirror', 'dining table', 'window', 'desk',
    'toilet', 'door', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
    'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator',
    'blender', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush'
]

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
    dict(type='PackWeakSegInputs', num_classes=90),
]
crop_flip_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=crop_size,
        crop_ratio_range=(0.08, 1.0),
        interpolation='bicubic',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs', num_classes=90),
]
test_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs', num_classes=90),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        label_file='cls_labels_coco90.npy',
        id_space=90,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_1250_ids.txt',
        img_dir='../train2014',
        seg_dir='masks/train2014',
        label_file='cls_labels_coco90.npy',
        id_space=90,
        pipeline=test_pipeline))
# tools/test.py scores the same subset; the reference's seed number is over
# all of train: --cfg-options test_dataloader.dataset.ann_file=train_ids.txt
test_dataloader = val_dataloader
