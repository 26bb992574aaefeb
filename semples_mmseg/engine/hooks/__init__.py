"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook
from .rng_state_hook import RNGStateHook

__all__ = ['CAMVisualizationHook', 'RNGStateHook']
