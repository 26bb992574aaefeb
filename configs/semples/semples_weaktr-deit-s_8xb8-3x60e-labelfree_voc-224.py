# SemPLeS on WeakTr, VOC, with label-free model selection (docs/SELECTION.md):
# best_stage1.pth / best_stage3.pth are the epochs with the lowest loss of
# their stage (L_match; L_match + L_refine) on VOC val (1449 images, never
# trained on), read with their XML image labels only: no mask is opened. The
# seed threshold is the fixed model.test_cfg.bg_threshold (0.43: the
# reference's published value) instead of a sweep against train masks.
# Everything else (stages, schedule, data) is weaktr_voc.py's.
#   tools/dist_train.sh \
#     configs/semples/semples_weaktr-deit-s_8xb8-3x60e-labelfree_voc-224.py 8
_base_ = ['./weaktr_voc.py']
train_cfg = dict(checkpoint_choice='loss', best_metric='held_out')
# the stage's own loss on the held-out list (HeldOutLossValLoop runs the
# segmentor's loss() without gradients; HeldOutLossMetric averages it)
val_cfg = dict(_delete_=True, type='HeldOutLossValLoop')
val_evaluator = dict(_delete_=True, type='HeldOutLossMetric')
val_dataloader = dict(
    batch_size=1,
    dataset=dict(
        ann_file='ImageSets/Segmentation/val.txt',
        label_source='xml',
        pipeline={{_base_.held_out_pipeline}}))
