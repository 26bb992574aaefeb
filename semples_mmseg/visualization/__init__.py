"""Labelled CAM figures (matplotlib) for the demo and the training hook."""
from .cam_figure import (build_cam_figure, cam_figure, figure_to_array,
                         palette_image)
from .prediction_figure import build_prediction_figure, prediction_figure

__all__ = ['build_cam_figure', 'build_prediction_figure', 'cam_figure',
           'figure_to_array', 'palette_image', 'prediction_figure']
