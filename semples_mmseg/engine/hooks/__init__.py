"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook
from .stage_best_checkpoint_hook import StageBestCheckpointHook

__all__ = ['CAMVisualizationHook', 'StageBestCheckpointHook']
