# The main VOC config (configs/semples/weaktr_voc.py) with its three stages as
# variables, so each ablation row lists its stages as a delta on them.
_base_ = ['../../weaktr_voc.py']
voc_stage1, voc_stage2, voc_stage3 = _base_.train_cfg.stages
# rounds >= 2 of stages 2 -> 3 (Table 6): stage 3 continues from the previous
# round's best CAM network instead of restarting from the baseline
voc_stage3_next_round = dict(voc_stage3, start_from='previous_best')
