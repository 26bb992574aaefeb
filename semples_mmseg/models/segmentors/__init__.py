"""Segmentors that hand the raw image and image labels to their parts."""
from .crf_seg_tta import CRFSegTTAModel
from .dense_crf_tta import DenseCRFTTAModel
from .multi_scale_max_encoder_decoder import MultiScaleMaxEncoderDecoder
from .semples_segmentor import SemPLeSSegmentor
from .semples_tta import SemPLeSTTAModel
from .weaktr_encoder_decoder import WeakTrEncoderDecoder

__all__ = [
    'SemPLeSSegmentor', 'SemPLeSTTAModel', 'MultiScaleMaxEncoderDecoder',
    'DenseCRFTTAModel', 'WeakTrEncoderDecoder', 'CRFSegTTAModel'
]
