# The baseline CAM that CLIMS starts from, on the co-occurrence world: IRNet's
# train_cam (CLIMS step/train_cam.py, its res50_cam.pth), CLIMS's ResNet-50
# CAM network trained as an image classifier (multilabel soft margin on the
# pooled classifier), no CLIP. CLIMS's CAM training loads this network
# before its first step (step/train_clims.py), and so do ./toy_cooccur.py
# and SemPLeS on it (../semples/clims_toy_cooccur.py: stage 1 and stage 3
# start from it, as SemPLeS on WeakTr starts from the WeakTr baseline). The
# world has no ImageNet weights: this network starts from random weights,
# at the toy's learning rate (1e-2, classifier x10; IRNet: 0.1 from ImageNet).
_base_ = [
    '../_base_/demo_runtime.py', '../_base_/datasets/cooccur_world.py',
    '../../../../configs/_base_/models/clims_r50.py',
    '../../../../configs/_base_/schedules/clims_15e.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    cam_net=dict(num_classes=6, pretrained=None),
    clip_guide=None,
    match_loss=None,
    background_text_loss=None,
    cam_losses=[dict(type='CAMClassificationLoss')],
    test_cfg=dict(scales=(1.0, 1.25), flip=True))
optim_wrapper = dict(optimizer=dict(lr=1e-2))
max_epochs = 12
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
default_hooks = dict(logger=dict(interval=10))
