"""Getting a trained model for inference (mmseg.apis works as well)."""
from .segmentor_loading import load_segmentor

__all__ = ['load_segmentor']
