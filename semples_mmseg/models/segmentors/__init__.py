"""Segmentors that hand the raw image and image labels to their parts."""
from .dense_crf_tta import DenseCRFTTAModel
from .multi_scale_max_encoder_decoder import MultiScaleMaxEncoderDecoder
from .semples_segmentor import SemPLeSSegmentor
from .semples_tta import SemPLeSTTAModel

__all__ = [
    'SemPLeSSegmentor', 'SemPLeSTTAModel', 'MultiScaleMaxEncoderDecoder',
    'DenseCRFTTAModel'
]
