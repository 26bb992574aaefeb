# The CAM stages' data (the WeakTr baseline and SemPLeS) on your images and
# tags (custom_tags.py): training on the 'train' subset, checkpoint
# choice by the held-out loss on the 'held_out' subset (image tags only),
# pseudo masks for 'all' images (test_dataloader).
_base_ = ['./weak_pipelines.py', './custom_tags.py']
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # DefaultSampler + per-sample augmentation seeds: --resume is exact
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        _base_.tag_dataset, subset='train',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        _base_.tag_dataset, subset='held_out',
        pipeline={{_base_.held_out_pipeline}}))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        _base_.tag_dataset, subset='all', mask_dir=_base_.tags_mask_dir,
        pipeline={{_base_.test_pipeline}}))
# the stage's own loss on the held-out images (docs/SELECTION.md)
val_evaluator = dict(type='HeldOutLossMetric')
# seed mIoU of tools/test.py: needs tags_mask_dir
test_evaluator = dict(type='CAMSeedMetric', threshold_rule='greedy')
