"""Training loops."""
from .semples_train_loop import SemPLeSTrainLoop

__all__ = ['SemPLeSTrainLoop']
