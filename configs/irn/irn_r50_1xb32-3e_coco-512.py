# IRNet pseudo masks from CLIMS CAMs on COCO 2014: CLIMS's COCO constants
# (run_sample_coco.py): IR labels 0.35 / 0.10, walk background 0.25. Target:
# about 42 mIoU on COCO train2014 (CLIMS maintainer, CVI-SZU/CLIMS#25; not
# run here: no COCO / GPU).
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/coco_irn.py',
    '../_base_/models/irn_r50.py', '../_base_/schedules/irn_3e.py'
]
ir_labels = dict(fg_threshold=0.35)
random_walk = dict(bg_threshold=0.25)
