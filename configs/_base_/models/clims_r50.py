# CLIMS (ResNet-50 at output stride 16, sigmoid CAMs judged by CLIP): METHOD
# section 1. 10 L_OTM + 24 L_BTM + 1 L_CBS + 0.2 L_REG on VOC; the matching
# pair is SegmentLabelMatchingLoss(lambda_b=2.4, loss_weight=10). The 512
# crops and their CAMs are resized to 224 (bilinear, align_corners=True)
# before CLIP.
from importlib import import_module

# the 20 names CLIP reads in "a photo of {name}." ('player' for person, as
# the reference), from the package's class_names.py (import_module: mmengine
# may take an import statement for a lazy, read_base-style config)
voc_prompt_names = list(
    import_module('semples_mmseg.datasets.class_names').VOC_PROMPT_NAMES)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=(512, 512),
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='SemPLeSSegmentor',
    data_preprocessor=data_preprocessor,
    cam_net=dict(
        type='CLIMSResNet50CAM',
        num_classes=20,
        # CLIMS's CAM training starts from its baseline CAM, IRNet's
        # classification CAM (step/train_clims.py loads res50_cam.pth before
        # its first step), converted by tools/model_converters/
        # clims2semples.py (docs/WEIGHTS.md). torchvision's ImageNet
        # ResNet-50 (checkpoints/resnet50-0676ba61.pth) is what that CAM
        # itself starts from, not CLIMS's start.
        pretrained='checkpoints/clims_voc_cam.pth'),
    clip_guide=dict(
        type='FrozenCLIPGuide',
        arch='ViT-B-32',
        pretrained='openai',
        class_names=voc_prompt_names),
    match_loss=dict(
        type='SegmentLabelMatchingLoss', lambda_b=2.4, loss_weight=10.0),
    background_text_loss=dict(
        type='CLIMSBackgroundSuppressionLoss', threshold=0.26,
        loss_weight=1.0),
    cam_losses=[dict(type='CAMAreaLoss', loss_weight=0.2)],
    soft_mask=dict(mode='sigmoid'),
    clip_pixels='imagenet',
    # CLIMS's own CAM inference (docs/METHOD.md section 6, configs/clims/
    # README.md). labels='predicted' would threshold the pooled classifier,
    # which CLIMS never trains for classification: check label_threshold on
    # labelled images first
    test_cfg=dict(
        protocol='clims',
        scales=(1.0, 0.5, 1.5, 2.0),
        flip=True,
        bg_threshold=0.15,
        max_view_pixels=2048 * 2048,
        labels='gt',
        label_threshold=0.5))
# tools/make_pseudo_masks.py --crf: IRNet's CRF (3, 3) + (50, 5, 10)
pseudo_mask_crf = dict(preset='irnet')
