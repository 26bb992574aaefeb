# Table 6, joint training: L_match, L_prompt and L_refine in one stage from
# the baseline (each loss trains what its own stage trains:
# SemPLeSSegmentor.set_stage joint=True), for the CAM network's stage-3
# budget. Paper: 65.9.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
train_cfg = dict(stages=[
    dict(stage=3, max_epochs=60, losses=['match', 'prompt', 'refine'],
         joint=True, start_from='current',
         lr=dict(cam_net=6.4e-5, prompt_learner=2.5e-2))
])
