"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook
from .redo_validation_hook import RedoUnfinishedValidationHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'CAMVisualizationHook', 'RNGStateHook', 'RedoUnfinishedValidationHook'
]
