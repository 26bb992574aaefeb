# ../../toy_cooccur.py with its three stages as variables, so each toy
# ablation row lists its stages as a delta on them
# (tests/projects/cooccur_demo/test_toy_ablation_configs.py checks they
# equal its own).
_base_ = ['../../toy_cooccur.py']
toy_stage1 = dict(stage=1, max_epochs=12, lr=dict(cam_net=1e-3))
toy_stage2 = dict(stage=2, max_epochs=6, lr=dict(prompt_learner=2.5e-2))
toy_stage3 = dict(stage=3, max_epochs=12, lr=dict(cam_net=1e-3))
toy_stage3_next_round = dict(toy_stage3, start_from='previous_best')
