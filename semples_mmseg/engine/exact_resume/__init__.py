"""Exact ``--resume``: a run killed anywhere and resumed repeats the
uninterrupted run bit for bit on CPU (weights, optimizer state, best
checkpoints, validation log), with any number of dataloader workers.

How the pieces fit, in the order a run meets them:

* ``resume_checkpoint.py``: ``--resume`` continues from this work dir's own
  latest checkpoint, also when the work dir was moved or lost its
  ``last_checkpoint`` pointer.
* ``run_signature.py``: the stage schedule and the checkpoint choice are
  recorded at epoch 0; a resume with other ones stops before training.
* ``cam_init_file.py``: stage 3's initial CAM weights, written at epoch 0
  with their fingerprint; a resume accepts only this run's file.
  ``run_start.py`` does both at the loop's start (``start_or_resume``).
* ``rng_state.py`` + ``RNGStateHook``: every rank's Python / NumPy / torch
  generators go into each epoch checkpoint and come back on resume;
  validation leaves them untouched.
* ``SeededSampler``: a sample's augmentation is a function of (seed, epoch,
  index) only, whatever the worker count or resume point.
* ``ExactEpochBasedTrainLoop``: the DataLoader's worker seed is drawn
  without moving the global generators (the model's drop-path draws).
* ``engine/hooks/StageBestCheckpointHook`` redoes, on resume, a validation
  the killed run did not finish (the epoch checkpoint is written first).
"""
from .exact_epoch_loop import ExactEpochBasedTrainLoop
from .rng_state_hook import RNGStateHook
from .seeded_sampler import SeededIndex, SeededSampler

__all__ = [
    'ExactEpochBasedTrainLoop', 'RNGStateHook', 'SeededIndex', 'SeededSampler'
]
