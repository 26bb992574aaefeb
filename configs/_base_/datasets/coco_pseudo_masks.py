# The segmentation stage on COCO 2014: a stock mmseg model trained on the
# train2014 images with *pseudo masks* (tools/make_pseudo_masks.py on a COCO
# CAM config), evaluated on val2014 with the converter's masks. Both splits
# are COCOWeakDataset over the converter's OUT_DIR (classes: background +
# 80; 81 outputs), read by mmseg's own LoadAnnotations / PackSegInputs.
#   data/coco/train2014/, data/coco/val2014/        (official images)
#   data/coco/semples/{train,val}_ids.txt, cls_labels_coco80.npy,
#   data/coco/semples/masks/val2014/                (converter: GT)
#   data/coco/semples/pseudo_masks/                 (make_pseudo_masks.py)
# The pseudo-mask folder is one key, e.g.
#   --cfg-options train_dataloader.dataset.seg_dir=/path/to/pseudo_masks
# Pseudo masks are written in the model's 0..80 space; for GT converted with
# --id-space 90 set id_space=90 and label_file='cls_labels_coco90.npy' on
# the val dataset only. Every listed image must have its mask
# (masks_required): a missing pseudo mask stops the run at start, naming it.
_base_ = ['./pseudo_mask_pipelines.py']
coco_root = 'data/coco/semples'
pseudo_mask_dir = 'pseudo_masks'  # relative to coco_root, or absolute
pseudo_train_dataset = dict(
    type='COCOWeakDataset',
    data_root=coco_root,
    ann_file='train_ids.txt',
    img_dir='../train2014',
    seg_dir=pseudo_mask_dir,
    masks_required=True,
    label_file='cls_labels_coco80.npy',
    pipeline={{_base_.pseudo_train_pipeline}})
pseudo_val_dataset = dict(
    type='COCOWeakDataset',
    data_root=coco_root,
    ann_file='val_ids.txt',
    img_dir='../val2014',
    seg_dir='masks/val2014',
    masks_required=True,
    label_file='cls_labels_coco80.npy',
    pipeline={{_base_.pseudo_test_pipeline}})
