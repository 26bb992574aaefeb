# Table 6, joint training: L_match, L_prompt and L_refine in one stage from the
# baseline (each loss trains what its own stage trains: SemPLeSSegmentor.set_stage
# joint=True), for the CAM network's stage-3 budget. Paper: 65.9.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[
    dict(stage=3, max_epochs=12, losses=['match', 'prompt', 'refine'],
         joint=True, start_from='current',
         lr=dict(cam_net=1e-3, prompt_learner=2.5e-2))
])
