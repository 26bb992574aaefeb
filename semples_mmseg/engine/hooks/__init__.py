"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook
from .save_probabilities_hook import SaveProbabilitiesHook
from .stage_best_checkpoint_hook import StageBestCheckpointHook

__all__ = [
    'CAMVisualizationHook', 'SaveProbabilitiesHook', 'StageBestCheckpointHook'
]
