"""Training and validation loops."""
from .cam_val_loop import CAMValLoop
from .held_out_loss_val_loop import HeldOutLossValLoop
from .semples_train_loop import SemPLeSTrainLoop

__all__ = ['SemPLeSTrainLoop', 'CAMValLoop', 'HeldOutLossValLoop']
