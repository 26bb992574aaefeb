"""Backbones of the segmentation models trained on pseudo masks."""
from .strict_vit import StrictVisionTransformer

__all__ = ['StrictVisionTransformer']
