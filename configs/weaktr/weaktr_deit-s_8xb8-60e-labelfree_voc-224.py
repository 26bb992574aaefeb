# The WeakTr baseline on VOC with label-free model selection
# (docs/SELECTION.md): the kept checkpoint (best_held_out_epoch_N.pth) is the
# epoch with the lowest classification loss on VOC val (1449 images, never
# trained on), read with their XML image labels only: no mask is opened.
# The seed threshold is the fixed model.test_cfg.bg_threshold (0.43).
# Everything else is weaktr_voc.py's.
#   tools/dist_train.sh \
#     configs/weaktr/weaktr_deit-s_8xb8-60e-labelfree_voc-224.py 8
_base_ = ['./weaktr_voc.py']
val_cfg = dict(_delete_=True, type='HeldOutLossValLoop')
val_evaluator = dict(_delete_=True, type='HeldOutLossMetric')
default_hooks = dict(checkpoint=dict(save_best='held_out', rule='less'))
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/val.txt',
        label_source='xml',
        pipeline={{_base_.held_out_pipeline}}))
