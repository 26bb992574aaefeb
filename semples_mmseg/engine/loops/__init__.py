"""Training and validation loops."""
from .cam_val_loop import CAMValLoop
from .exact_epoch_loop import ExactEpochBasedTrainLoop
from .held_out_loss_val_loop import HeldOutLossValLoop
from .semples_train_loop import SemPLeSTrainLoop

__all__ = [
    'ExactEpochBasedTrainLoop', 'SemPLeSTrainLoop', 'CAMValLoop',
    'HeldOutLossValLoop'
]
