# The paper's best route on COCO 2014 (Table 2: SemPLeS 56.1 val mIoU):
# mmseg's Mask2Former Swin-L (ImageNet-22k) on pseudo masks of train2014,
# evaluated on val2014 (81 classes). Needs mmdet (pip install
# onedl-mmdetection, or mmdet for the classic stack). 90k iterations at
# batch 16 as the VOC config; not tuned for COCO.
_base_ = [
    'mmseg::mask2former/mask2former_swin-l-in22k-384x384-pre_8xb2-160k_ade20k-640x640.py',  # noqa
    '../_base_/semples_imports.py', '../_base_/datasets/coco_pseudo_masks.py'
]
# mmseg's dataloaders (batch, workers, sampler) with the pseudo-mask datasets
train_dataloader = dict(
    dataset=dict(_base_.pseudo_train_dataset, _delete_=True))
val_dataloader = dict(dataset=dict(_base_.pseudo_val_dataset, _delete_=True))
test_dataloader = val_dataloader
num_classes = 81
model = dict(
    decode_head=dict(
        num_classes=num_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))
max_iters = 90000
train_cfg = dict(max_iters=max_iters, val_interval=9000)
# the stock schedule's PolyLR ends at 160000: end it with training
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)  # 8 GPUs x 2
