# WeakTr (DeiT-S, K class tokens, adaptive attention fusion) trained with its
# own objective: three multilabel soft-margin losses (METHOD section 1).
# The same segmentor class runs SemPLeS; without CLIP parts it is WeakTr.
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
        freeze_backbone=False,
        detach_coarse_cam=True,  # WeakTr's head learns from GAP(Z) only
        # DeiT-S ImageNet weights (deit_small_patch16_224-cd65a155.pth)
        pretrained='checkpoints/deit_small_patch16_224-cd65a155.pth'),
    cam_losses=[dict(type='WeakTrClassificationLoss')],
    # labels: 'gt' = the dataset's image labels (the WSSS protocol; a loose
    # image without labels uses 'predicted'); 'predicted' = sigmoid of the
    # class-token scores >= label_threshold (WeakTr trains them with a
    # multilabel soft-margin loss, so 0.5 is their decision boundary)
    test_cfg=dict(scales=(1.0, 1.2), flip=True, bg_threshold=0.43,
                  labels='gt', label_threshold=0.5))
# tools/make_pseudo_masks.py --crf: WeakTr's VOC CRF (4, 3) + (83, 5, 3)
pseudo_mask_crf = dict(preset='weaktr_voc')
