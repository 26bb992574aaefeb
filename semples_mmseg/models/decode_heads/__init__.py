"""Decode heads mmseg lacks."""
from .aspp_v2_head import ASPPV2Head
from .fused_segmenter_mask_head import FusedSegmenterMaskHead

__all__ = ['ASPPV2Head', 'FusedSegmenterMaskHead']
