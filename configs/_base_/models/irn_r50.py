# IRNet's class-boundary network (jiwoon-ahn/irn net/resnet50_irn.py, as
# CLIMS's root pipeline uses it): torchvision's ImageNet ResNet-50 with
# layer4 at stride 1, frozen (eval mode, no gradient), the five-level
# boundary branch, pairs within radius 10 of the 128 x 128 map of a 512
# crop, IRNet's affinity loss. The displacement branch (instance masks) is
# not built: it shares no parameter with the boundary branch.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=(512, 512),  # crops padded after normalisation: image 0, label 255
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='IRNetBoundaryNet',
    data_preprocessor=data_preprocessor,
    # torchvision's ImageNet ResNet-50 (IMAGENET1K_V1); IRNet / CLIMS load
    # the same weights by their pre-0.13 name resnet50-19c8e357.pth
    pretrained='checkpoints/resnet50-0676ba61.pth',
    path_radius=10,
    loss_affinity=dict(type='IRNetAffinityLoss'),
    # boundary maps for the walk: image + mirror, the full image unpadded
    # (CLIMS; IRNet's own inference pads to 512: pad_to=512)
    test_cfg=dict(flip=True, pad_to=None))
# The steps around the training (tools/irn/make_ir_labels.py and
# tools/irn/make_sem_seg.py read these; CLIMS's run_sample.py defaults)
ir_labels = dict(fg_threshold=0.30, bg_threshold=0.10, crf_iterations=10)
random_walk = dict(
    radius=5, beta=10, exp_times=8, bg_threshold=0.2, crf_iterations=0)
