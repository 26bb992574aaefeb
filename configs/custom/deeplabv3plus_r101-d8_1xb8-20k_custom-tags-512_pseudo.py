# DeepLabV3+ R101 (configs/seg/, mmseg's model) trained on the pseudo masks
# of your images (one GPU):
#   python tools/make_pseudo_masks.py \
#       configs/custom/semples_weaktr-deit-s_1xb16-3x60e_custom-tags-224.py \
#       work_dirs/custom_tags/semples/best_stage3.pth \
#       --out-dir work_dirs/custom_tags/pseudo_masks
#   python tools/train.py \
#       configs/custom/deeplabv3plus_r101-d8_1xb8-20k_custom-tags-512_pseudo.py
# Its checkpoint carries your class names and palette (mmseg's
# MMSegInferencer draws them). No pixel label is read: nothing is validated
# during training; tools/test.py scores it when tags_mask_dir is set.
_base_ = [
    '../seg/deeplabv3plus_r101-d8_4xb4-40k_voc-512_pseudo.py',
    '../_base_/datasets/custom_tags.py'
]
work_dir = _base_.tags_work_dir + '/deeplabv3plus'
model = dict(
    decode_head=dict(num_classes=_base_.tags_num_classes + 1),
    auxiliary_head=dict(num_classes=_base_.tags_num_classes + 1))
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        _base_.tag_dataset, _delete_=True, subset='all',
        mask_dir=_base_.tags_work_dir + '/pseudo_masks', masks_required=True,
        pipeline=_base_.pseudo_train_pipeline))
# tools/test.py: the images with a mask in tags_mask_dir
test_dataloader = dict(
    dataset=dict(
        _base_.tag_dataset, _delete_=True, subset='all',
        mask_dir=_base_.tags_mask_dir, only_with_masks=True,
        pipeline=_base_.pseudo_test_pipeline))
val_dataloader = val_cfg = val_evaluator = None
# mmseg's VOC rate (0.01 at 4 GPUs x 4) for one GPU x 8; 20k iterations
optim_wrapper = dict(optimizer=dict(lr=0.005))
max_iters = 20000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=2))
