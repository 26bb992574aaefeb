# WeakTr's schedule (docs/METHOD.md section 1): AdamW, weight decay 0.03, 5
# warm-up epochs from 1e-6, cosine to 1e-5, 60 epochs. lr is WeakTr's nominal
# rate, scaled by total batch / 512 (auto_scale_lr): 6e-4 -> 7.5e-5 at the
# VOC config's 8 GPUs x 8. The warm-up start factor is relative to the scaled
# lr: 1e-6 at the config's batch (other batches start proportionally).
auto_scale_lr = dict(enable=True, base_batch_size=512)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-4, betas=(0.9, 0.999),
                   weight_decay=0.03))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (6e-4 * 64 / 512),
         by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         end=60),
]
# ExactEpochBasedTrainLoop: mmengine's loop, the data iterator made under a
# preserved RNG (drop-path draws independent of num_workers and of resumes)
train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=60, val_interval=5)
# Per-epoch checkpoint choice as the reference (SemPLeS main1-3.py and
# WeakTr main.py validate with --scales 1.0, i.e. scale 1.0 + flip, and keep
# the greedy first-local-maximum seed mIoU); tools/test.py, pseudo masks and
# compare.py keep model.test_cfg (e.g. scales (1.0, 1.2)).
val_cfg = dict(
    type='CAMValLoop', model_test_cfg=dict(scales=(1.0, ), flip=True))
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
