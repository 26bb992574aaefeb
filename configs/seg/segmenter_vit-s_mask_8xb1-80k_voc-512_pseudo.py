# WeakTr's segmentation route: mmseg's Segmenter (ViT-S/16, mask transformer
# head) trained on pseudo masks. Paper Table 3: WeakTr 73.2 val / 74.0 test,
# +SemPLeS 74.2 / 74.8 (the reference's own Segmenter-DeiT-S code; this is
# mmseg's Segmenter with its ViT-S ImageNet weights, 80k iterations).
_base_ = [
    'mmseg::segmenter/segmenter_vit-s_mask_8xb1-160k_ade20k-512x512.py',
    '../_base_/semples_imports.py', '../_base_/datasets/voc_pseudo_masks.py'
]
# mmseg's dataloaders (batch, workers, sampler) with the pseudo-mask datasets
train_dataloader = dict(
    dataset=dict(_base_.pseudo_train_dataset, _delete_=True))
val_dataloader = dict(dataset=dict(_base_.pseudo_val_dataset, _delete_=True))
test_dataloader = val_dataloader
model = dict(decode_head=dict(num_classes=21))
max_iters = 80000
train_cfg = dict(max_iters=max_iters, val_interval=8000)
# the stock schedule's PolyLR ends at 160000: end it with training
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)  # 8 GPUs x 1
