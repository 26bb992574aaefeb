# The segmentation stage: a stock mmseg model trained on VOC train_aug images
# with *pseudo masks* (tools/make_pseudo_masks.py output), evaluated on VOC
# val with the real masks. Configs that inherit a stock mmseg config keep
# its dataloaders and put these datasets in place of the stock ones
# (dataset=dict(_base_.pseudo_train_dataset, _delete_=True): replaced, not
# merged).
# The pseudo-mask folder is one key, e.g.
#   --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR
# PseudoMaskDataset reads it as mmseg's PascalVOCDataset would, after checking
# every listed file: a missing mask, one of another size than its image or one
# with values outside 0..20 and 255 stops the run at start, named.
_base_ = ['./pseudo_mask_pipelines.py']
voc_root = 'data/VOCdevkit/VOC2012'
pseudo_mask_dir = 'pseudo_masks'  # relative to voc_root, or absolute
pseudo_train_dataset = dict(
    type='PseudoMaskDataset',
    classes_of='PascalVOCDataset',
    data_root=voc_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_mask_dir),
    ann_file='ImageSets/Segmentation/trainaug.txt',  # mmseg's voc_aug.py
    pipeline={{_base_.pseudo_train_pipeline}})
pseudo_val_dataset = dict(
    type='PascalVOCDataset',
    data_root=voc_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
    ann_file='ImageSets/Segmentation/val.txt',
    pipeline={{_base_.pseudo_test_pipeline}})
