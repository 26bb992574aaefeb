# SemPLeS on WeakTr (DeiT-S): METHOD sections 1-4, VOC constants.
# Starts from the trained WeakTr CAM network; its DeiT is frozen, only the
# CAM head and AAF learn, judged by a frozen CLIP ViT-B/32.
# Weights this config expects (see configs/semples/README.md):
#   checkpoints/weaktr_voc_cam.pth  official WeakTr CAM checkpoint converted
#       by tools/model_converters/weaktr2semples.py
#   CLIP ViT-B/32: the open_clip tag 'openai' (downloaded to open_clip's cache
#       when online) or a local file, e.g.
#       model.clip_guide.pretrained=checkpoints/ViT-B-32.pt
_base_ = ['./weaktr_deit-s.py']
from importlib import import_module

# the 20 names CLIP reads in "a photo of {name}." ('player' for person, as
# the reference), from the package's class_names.py (import_module: mmengine
# may take an import statement for a lazy, read_base-style config)
voc_prompt_names = list(
    import_module('semples_mmseg.datasets.class_names').VOC_PROMPT_NAMES)
model = dict(
    cam_net=dict(
        freeze_backbone=True,
        detach_coarse_cam=False,
        pretrained='checkpoints/weaktr_voc_cam.pth'),
    cam_losses=[],
    clip_guide=dict(
        type='FrozenCLIPGuide',
        arch='ViT-B-32',
        pretrained='openai',
        class_names=voc_prompt_names),
    prompt_learner=dict(
        type='BackgroundPromptLearner', num_classes=20, prompt_length=30),
    match_loss=dict(type='SegmentLabelMatchingLoss', lambda_b=2.4),
    prompt_loss=dict(type='ContrastivePromptLoss', lambda_t=0.02),
    refine_loss=dict(type='PromptRefinementLoss', loss_weight=0.05),
    soft_mask=dict(mode='minmax', eps=0.1),
    clip_pixels='imagenet')
