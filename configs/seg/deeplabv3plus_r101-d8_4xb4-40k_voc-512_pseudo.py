# The CNN route: DeepLabV3+ R101 (mmseg) on pseudo masks. CLIMS and the
# paper use DeepLab-V2 (Table 3: CLIMS 70.4 val / 70.0 test, +SemPLeS
# 71.0 / 71.5), which mmseg does not have; DeepLabV3+ is the closest stock
# model, so expect higher absolute numbers and compare deltas.
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py',
    '../_base_/semples_imports.py', '../_base_/datasets/voc_pseudo_masks.py'
]
# mmseg's dataloaders (batch, workers, sampler) with the pseudo-mask datasets
train_dataloader = dict(
    dataset=dict(_base_.pseudo_train_dataset, _delete_=True))
val_dataloader = dict(dataset=dict(_base_.pseudo_val_dataset, _delete_=True))
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=16)  # 4 GPUs x 4
