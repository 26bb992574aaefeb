# The CLIMS baseline on the co-occurrence world, CPU-sized: CLIMS's ResNet-50
# CAM network (output stride 16: 6 x 6 CAMs on the 96-pixel images) trained
# by CLIMS's own objective, judged by the toy CLIP: 10 L_OTM + 24 L_BTM +
# 1 L_CBS + 0.2 L_REG. As CLIMS (step/train_clims.py loads res50_cam.pth
# before its first step), it starts from the baseline CAM, IRNet's
# classification CAM: ./toy_cam_cooccur.py, which tools/clims_route.py trains
# and copies to work_dirs/cooccur/clims_route/cam.pth. L_CBS's manual
# background prompts are the world's eight scene names (CLIMS's manual list,
# here complete). Learning rate: CLIMS's ratio to the baseline CAM's, not
# the CAM's own: CLIMS fine-tunes at 2.5e-4 the CAM IRNet trained at 0.1
# (1/400), so here 2.5e-5 (classifier x10) after the toy CAM's 1e-2. At
# 1e-2 one step drives the CAM logits from |1.5| to |160|: sigmoid(CAM) is
# 0 or 1 at every pixel, CLIMS's losses (all through that sigmoid) have no
# gradient left and a class left off everywhere scores 0 IoU
# (../../docs/route_clims.md). 12 epochs (CLIMS: 15 of VOC). The
# compatibility table's "CLIMS" side;
# SemPLeS on it: ../semples/clims_toy_cooccur.py. The toy CLIP:
# work_dirs/cooccur/toy_clip.pt (tools/run_demo.py or tools/clims_route.py).
_base_ = [
    '../_base_/demo_runtime.py', '../_base_/datasets/cooccur_world.py',
    '../../../../configs/_base_/models/clims_r50.py',
    '../../../../configs/_base_/schedules/clims_15e.py',
    '../_base_/models/toy_clip.py'
]
model = dict(
    data_preprocessor=dict(size=(96, 96)),
    cam_net=dict(
        num_classes=6, pretrained='work_dirs/cooccur/clims_route/cam.pth'),
    clip_guide=dict(
        _delete_=True,
        type='FrozenCLIPGuide',
        arch=None,
        model_cfg={{_base_.toy_clip}},
        pretrained='work_dirs/cooccur/toy_clip.pt',
        quick_gelu=False,  # the toy CLIP's GELU (a plain state dict)
        class_names=['boat', 'bird', 'sheep', 'crab', 'penguin', 'clock']),
    background_text_loss=dict(background_prompts=[
        'a photo of water.', 'a photo of sky.', 'a photo of grass.',
        'a photo of sand.', 'a photo of snow.', 'a photo of brick wall.',
        'a photo of wooden floor.', 'a photo of road.'
    ]),
    test_cfg=dict(scales=(1.0, 1.25), flip=True))
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
max_epochs = 12
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=4)
default_hooks = dict(logger=dict(interval=10))
