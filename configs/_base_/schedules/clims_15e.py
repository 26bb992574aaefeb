# CLIMS' schedule: SGD with weight decay 1e-4, lr 2.5e-4 for the backbone and
# 10x for the classifier, poly 0.9, 15 epochs, total batch 16. IRNet's
# PolyOptimizer (CLIMS misc/torchutils.py) hands its weight decay to torch's
# SGD in the momentum slot, so the momentum is 1e-4 (effectively none):
# reproduced as it is (configs/_base_/schedules/irn_3e.py does the same). CLIMS uses its rates at batch 16 as they are (no
# scaling rule); --auto-scale-lr scales them by total batch / 16.
auto_scale_lr = dict(enable=False, base_batch_size=16)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'cam_net.classifier': dict(lr_mult=10)}))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0, end=15,
         convert_to_iter_based=True)
]
# ExactEpochBasedTrainLoop: mmengine's loop, the data iterator made under a
# preserved RNG (drop-path draws independent of num_workers and of resumes)
train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=15, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# max_keep_ckpts=2: mmengine deletes the oldest kept checkpoint BEFORE
# writing the next one; with 1, a kill during that write leaves no
# checkpoint to --resume from
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1,
                    max_keep_ckpts=2, save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='RNGStateHook'),  # exact --resume
    # --resume validates again an epoch whose validation was killed
    redo_validation=dict(type='StageBestCheckpointHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
