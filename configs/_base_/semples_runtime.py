# Every semples_mmseg config inherits this file: it registers the plug-in into
# mmseg's registries (so mmseg's own tools/train.py works with our configs)
# and carries mmseg's default runtime (configs/_base_/default_runtime.py of
# mmsegmentation 1.x). It is written out rather than inherited with
# 'mmseg::_base_/default_runtime.py': mmengine resolves 'mmseg::' by the
# distribution name 'mmsegmentation', which the maintained fork
# (onedl-mmsegmentation) lacks; importing semples_mmseg fixes that for our
# tools, but mmseg's own tools/train.py reads the config before importing us.
# log_processor is left to the schedule configs.
_base_ = ['./semples_imports.py']

default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_level = 'INFO'
load_from = None
resume = False

# tools/test.py --tta: the CAM segmentor's own multi-scale + flip inference
# (mmseg's SegTTAModel averages softmaxed logits, meaningless for CAMs);
# the dataset bases set tta_pipeline = test_pipeline
tta_model = dict(type='SemPLeSTTAModel')
