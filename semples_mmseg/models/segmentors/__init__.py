"""Segmentors that hand the raw image and image labels to their parts."""
from .semples_segmentor import SemPLeSSegmentor

__all__ = ['SemPLeSSegmentor']
