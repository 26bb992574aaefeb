# Control for Table 6: L_match only (stage 1 alone) for 24 epochs, the CAM
# network's epochs of 2 sequential rounds (12 per stage 3), so a gain of
# rounds over one round can be told from the longer training alone.
# A delta on ../toy_cooccur.py; run by tools/ablate.py table6.
_base_ = ['./_base_/toy_stages.py']
train_cfg = dict(stages=[dict(stage=1, max_epochs=24, lr=dict(cam_net=1e-3))])
