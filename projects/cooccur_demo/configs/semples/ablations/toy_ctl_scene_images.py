# Control (toy world only): stage 3's L_refine pushes each class's foreground
# away from the CLIP *image* embedding of its true home scene (mean of 16 bare
# renders, HomeSceneImagePrompts), instead of learned prompts; no stage 2.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
model = dict(
    prompt_learner=dict(
        _delete_=True,
        type='HomeSceneImagePrompts',
        num_renders=16,
        image_size=96,
        embed_dims=64))
train_cfg = dict(stages=[{{_base_.toy_stage1}}, {{_base_.toy_stage3}}])
