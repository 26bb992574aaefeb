"""Training and validation loops."""
from .cam_val_loop import CAMValLoop
from .semples_train_loop import SemPLeSTrainLoop

__all__ = ['SemPLeSTrainLoop', 'CAMValLoop']
