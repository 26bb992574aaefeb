# WeakTr's segmentation route on COCO 2014: mmseg's Segmenter (ViT-S/16,
# mask transformer head) trained on pseudo masks of train2014, evaluated on
# val2014 (81 classes). Paper Table 2: WeakTr 44.4 COCO val mIoU with its
# own Segmenter code; the schedule here is the VOC config's (80k iterations,
# batch 8), not tuned for COCO.
_base_ = [
    'mmseg::segmenter/segmenter_vit-s_mask_8xb1-160k_ade20k-512x512.py',
    '../_base_/semples_imports.py', '../_base_/datasets/coco_pseudo_masks.py'
]
# mmseg's dataloaders (batch, workers, sampler) with the pseudo-mask datasets
train_dataloader = dict(
    dataset=dict(_base_.pseudo_train_dataset, _delete_=True))
val_dataloader = dict(dataset=dict(_base_.pseudo_val_dataset, _delete_=True))
test_dataloader = val_dataloader
model = dict(decode_head=dict(num_classes=81))
max_iters = 80000
train_cfg = dict(max_iters=max_iters, val_interval=8000)
# the stock schedule's PolyLR ends at 160000: end it with training
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)  # 8 GPUs x 1
