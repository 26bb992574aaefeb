"""Decode heads for the segmentation models trained on pseudo masks."""
from .fused_segmenter_mask_head import FusedSegmenterMaskHead

__all__ = ['FusedSegmenterMaskHead']
