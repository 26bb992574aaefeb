"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook
from .redo_validation_hook import RedoUnfinishedValidationHook
from .rng_state_hook import RNGStateHook
from .save_probabilities_hook import SaveProbabilitiesHook

__all__ = [
    'CAMVisualizationHook', 'RNGStateHook', 'RedoUnfinishedValidationHook',
    'SaveProbabilitiesHook'
]
