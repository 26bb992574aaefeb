# SemPLeS on WeakTr (DeiT-S): METHOD sections 1-4, VOC constants.
# Weights this config expects (see configs/semples/README.md):
#   checkpoints/weaktr_voc_cam.pth  official WeakTr CAM checkpoint converted
#       by tools/model_converters/weaktr2semples.py
#   CLIP ViT-B/32: the open_clip tag 'openai' (downloaded to open_clip's cache
#       when online) or a local file, e.g. clip_guide.pretrained='checkpoints/ViT-B-32.pt'
voc_prompt_names = [
    'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
    'chair', 'cow', 'dining table', 'dog', 'horse', 'motorbike', 'player',
    'potted plant', 'sheep', 'sofa', 'train', 'tv monitor'
]
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=(224, 224),  # training crops; test images keep their own size
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SemPLeSSegmentor',
    data_preprocessor=data_preprocessor,
    cam_net=dict(
        type='WeakTrCAMNet',
        num_classes=20,
        img_size=224,
        patch_size=16,
        embed_dims=384,
        depth=12,
        num_heads=6,
        drop_path_rate=0.1,
        aaf_pool='max',
        aaf_reduction=8,
        freeze_backbone=True,
        pretrained='checkpoints/weaktr_voc_cam.pth'),
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
    clip_pixels='imagenet',
    test_cfg=dict(scales=(1.0, 1.2), flip=True, bg_threshold=0.43))
