"""Hooks."""
from .cam_visualization_hook import CAMVisualizationHook

__all__ = ['CAMVisualizationHook']
