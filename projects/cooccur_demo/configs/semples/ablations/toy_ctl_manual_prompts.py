# Control (toy world only): stage 3's L_refine pushes each class's foreground
# away from a *manual* background text naming its true home scene (the
# CLIMS-style prompt, here known exactly), instead of learned prompts; no
# stage 2. Compare with toy_t4_full (learned) and toy_t4_match_only.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
model = dict(
    prompt_learner=dict(
        _delete_=True,
        type='ManualBackgroundPrompts',
        # "a photo of {home scene of class k}." (cooccur_demo.world
        # HOME_SCENE; the test checks they are the world's scene names)
        texts=[
            'a photo of water.', 'a photo of sky.', 'a photo of grass.',
            'a photo of sand.', 'a photo of snow.', 'a photo of brick wall.'
        ],
        embed_dims=64))
train_cfg = dict(stages=[{{_base_.toy_stage1}}, {{_base_.toy_stage3}}])
