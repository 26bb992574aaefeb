# IRNet's schedule (step/train_irn.py): 3 epochs of batch 32 (990 steps on
# VOC train_aug, the last incomplete batch dropped), SGD lr 0.1, weight decay
# 1e-4, poly 0.9 stepped every iteration. Its PolyOptimizer hands the weight
# decay to torch's SGD in the momentum slot, so the momentum is 1e-4
# (effectively none): reproduced as it is.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4))
# IRNet's rate at its batch of 32 as it is; --cfg-options
# auto_scale_lr.enable=True scales it by the total batch / 32
auto_scale_lr = dict(enable=False, base_batch_size=32)
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True)
]
train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=3)
val_cfg = None
test_cfg = None
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # max_keep_ckpts=2: mmengine deletes the oldest checkpoint before it
    # writes the next one
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1,
                    max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='RNGStateHook'))  # exact --resume
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
# the reference's rate is for its batch of 32 on one GPU:
# --cfg-options auto_scale_lr.enable=True scales it by the total batch / 32
auto_scale_lr = dict(enable=False, base_batch_size=32)
