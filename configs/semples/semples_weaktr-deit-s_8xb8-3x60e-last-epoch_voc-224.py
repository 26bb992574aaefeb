# SemPLeS on WeakTr, VOC, with the last epoch of each stage as its result
# (docs/SELECTION.md): no validation at all, no label beyond the training
# images' image-level labels is read; best_stage1.pth / best_stage3.pth are
# the weights after epochs 60 / 180. The seed threshold is the fixed
# model.test_cfg.bg_threshold (0.43). Everything else is weaktr_voc.py's.
#   tools/dist_train.sh \
#     configs/semples/semples_weaktr-deit-s_8xb8-3x60e-last-epoch_voc-224.py 8
_base_ = ['./weaktr_voc.py']
train_cfg = dict(checkpoint_choice='last')
# nothing to validate: no validation split is built (tools/test.py still
# evaluates the result on test_dataloader, VOC train with its masks)
val_dataloader = None
val_cfg = None
val_evaluator = None
