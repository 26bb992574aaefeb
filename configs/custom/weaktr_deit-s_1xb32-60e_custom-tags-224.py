# The WeakTr baseline CAM network on your images and tags (one GPU):
#   python tools/train.py \
#       configs/custom/weaktr_deit-s_1xb32-60e_custom-tags-224.py
# Writes {tags_work_dir}/weaktr/; the kept checkpoint is the epoch with the
# lowest classification loss on the held-out images (best_held_out_epoch_N
# .pth), which SemPLeS starts from: copy it to baseline.pth there.
# Needs the DeiT-S ImageNet weights (docs/WEIGHTS.md).
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/custom_tags_cam.py',
    '../_base_/models/weaktr_deit-s.py', '../_base_/schedules/weaktr_60e.py'
]
work_dir = _base_.tags_work_dir + '/weaktr'
model = dict(
    cam_net=dict(num_classes=_base_.tags_num_classes),
    test_cfg=dict(bg_threshold=_base_.tags_bg_threshold))
train_dataloader = dict(batch_size=32)
# WeakTr's nominal rate, scaled by total batch / 512 (auto_scale_lr); the
# warm-up starts at 1e-6 at this batch
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (6e-4 * 32 / 512),
         by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         end=60),
]
train_cfg = dict(val_interval=1)
# label-free checkpoint choice (docs/SELECTION.md)
val_cfg = dict(_delete_=True, type='HeldOutLossValLoop')
default_hooks = dict(checkpoint=dict(save_best='held_out', rule='less'))
