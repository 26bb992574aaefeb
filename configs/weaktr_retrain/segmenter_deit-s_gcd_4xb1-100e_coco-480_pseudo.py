# WeakTr's online retraining on COCO 2014 (its COCO command: 4 GPUs, world
# batch 4 = 1 image per GPU, the VOC settings otherwise): 81 classes
# (background + 80, the converter's contiguous ids; the reference trains 91
# outputs over raw ids, ten of them unused), pseudo masks of train2014,
# evaluation on val2014 with WeakTr's COCO CRF (1, 3) + (67, 3, 4).
# GCD statistics per process, i.e. over one image, as the reference.
_base_ = ['./segmenter_deit-s_gcd_1xb4-100e_voc-480_pseudo.py']

coco_root = 'data/coco/semples'  # tools/dataset_converters/coco2014_weak.py
model = dict(decode_head=dict(num_classes=81))
tta_model = dict(crf_preset='weaktr_coco_final')
train_dataloader = dict(
    batch_size=1,
    dataset=dict(
        _delete_=True,
        type='PseudoMaskDataset',
        classes_of='COCOWeakDataset',
        data_root=coco_root,
        ann_file='train_ids.txt',
        data_prefix=dict(img_path='../train2014', seg_map_path='pseudo_masks'),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCOWeakDataset',
        data_root=coco_root,
        ann_file='val_ids.txt',
        img_dir='../val2014',
        seg_dir='masks/val2014',
        masks_required=True,
        label_file='cls_labels_coco80.npy',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=4)  # 4 GPUs x 1
