# The CPU demo's SemPLeS run (toy_cooccur.py) with label-free model selection
# (docs/SELECTION.md): each validated stage keeps the epoch with the lowest
# stage loss on the world's val split, read with its image labels
# (cls_labels.npy) only; the seed threshold is the fixed 0.30 of
# toy_cooccur.py. tools/test.py keeps toy_cooccur.py's seed evaluation on
# the same split (the toy world has no third split: a demonstration, not a
# clean held-out protocol).
_base_ = ['./toy_cooccur.py']
train_cfg = dict(checkpoint_choice='loss', best_metric='held_out')
# the stage's own loss on the held-out list (HeldOutLossValLoop runs the
# segmentor's loss() without gradients; HeldOutLossMetric averages it)
val_cfg = dict(_delete_=True, type='HeldOutLossValLoop')
val_evaluator = dict(_delete_=True, type='HeldOutLossMetric')
held_out_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='Resize', scale=(96, 96), keep_ratio=False, backend='pillow',
         interpolation='bicubic'),
    dict(type='PackWeakSegInputs'),
]
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=held_out_pipeline))
