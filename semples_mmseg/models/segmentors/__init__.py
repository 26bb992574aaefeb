"""Segmentors that hand the raw image and image labels to their parts."""
from .multi_scale_max_encoder_decoder import MultiScaleMaxEncoderDecoder
from .semples_segmentor import SemPLeSSegmentor
from .semples_tta import SemPLeSTTAModel

__all__ = [
    'SemPLeSSegmentor', 'SemPLeSTTAModel', 'MultiScaleMaxEncoderDecoder'
]
