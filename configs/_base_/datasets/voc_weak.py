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
_base_ = ['./weak_pipelines.py']
dataset_type = 'VOCWeakDataset'
data_root = 'data/VOCdevkit/VOC2012'
# batch per GPU: 8 GPUs x 8 = 64 (METHOD section 5, stages 1 and 3 on VOC)
train_dataloader = dict(
    batch_size=8,
    num_workers=8,  # enough for an AMP step (docs/GPU.md; gpu_check.sh)
    persistent_workers=True,
    pin_memory=True,  # page-locked batches: asynchronous copies to the GPU
    # DefaultSampler + per-sample augmentation seeds: --resume is exact
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        label_source='xml',
        pipeline={{_base_.train_pipeline}}))
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
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# thresholds 0.40-0.59; the reference's greedy stop (METHOD section 6)
val_evaluator = dict(type='CAMSeedMetric', threshold_rule='greedy')
test_evaluator = val_evaluator
