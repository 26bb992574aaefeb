# The main VOC config (configs/semples/weaktr_voc.py)
# with its three stages as variables, so each ablation row lists its stages as a
# delta on them
# (tests/configs/test_ablation_configs.py checks they equal the main config's).
_base_ = ['../../weaktr_voc.py']
voc_stage1 = dict(stage=1, max_epochs=60, lr=dict(cam_net=5.12e-4))
voc_stage2 = dict(
    stage=2,
    max_epochs=60,
    lr=dict(prompt_learner=0.1),
    dataloader=dict(
        batch_size=16,
        dataset=dict(pipeline={{_base_.crop_flip_pipeline}})))
voc_stage3 = dict(stage=3, max_epochs=60, lr=dict(cam_net=5.12e-4))
# rounds >= 2 of stages 2 -> 3 (Table 6): stage 3 continues from the previous
# round's best CAM network instead of restarting from the baseline
voc_stage3_next_round = dict(voc_stage3, start_from='previous_best')
