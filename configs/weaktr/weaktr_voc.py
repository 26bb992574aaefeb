# WeakTr baseline CAM training on VOC (the "without SemPLeS" side of the
# compatibility experiments). Target: seed mIoU 65.9 on VOC train.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/voc_weak.py',
    '../_base_/models/weaktr_deit-s.py', '../_base_/schedules/weaktr_60e.py'
]
