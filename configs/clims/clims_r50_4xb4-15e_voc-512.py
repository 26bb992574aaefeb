# CLIMS baseline on VOC (the "without SemPLeS" side of Table 3's CNN row).
# Targets: seed 57.5 / mask 72.8 on VOC train (paper Table 1); DeepLab-V2
# on its masks: 70.4 val / 70.0 test.
_base_ = [
    '../_base_/semples_runtime.py', '../_base_/datasets/voc_weak_512.py',
    '../_base_/models/clims_r50.py', '../_base_/schedules/clims_15e.py'
]
# CLIMS seeds live at low thresholds (IRNet evaluates at 0.15): sweep wider
val_evaluator = dict(thresholds=[round(t / 100, 2) for t in range(5, 60)])
test_evaluator = val_evaluator
