# The CNN route on COCO 2014: DeepLabV3+ R101 (mmseg) on pseudo masks of
# train2014, evaluated on val2014 (81 classes). CLIMS uses DeepLab-V2, which
# mmseg does not have; the paper reports no CLIMS number on COCO. Schedule:
# the VOC config's 40k iterations at batch 16, not tuned for COCO.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py',
    '../_base_/semples_imports.py', '../_base_/datasets/coco_pseudo_masks.py'
]
# mmseg's dataloaders (batch, workers, sampler) with the pseudo-mask datasets
train_dataloader = dict(
    dataset=dict(_base_.pseudo_train_dataset, _delete_=True))
val_dataloader = dict(dataset=dict(_base_.pseudo_val_dataset, _delete_=True))
test_dataloader = val_dataloader
model = dict(
    decode_head=dict(num_classes=81), auxiliary_head=dict(num_classes=81))
auto_scale_lr = dict(enable=False, base_batch_size=16)  # 4 GPUs x 4
