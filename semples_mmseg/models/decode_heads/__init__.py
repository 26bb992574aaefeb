"""Decode heads mmseg lacks."""
from .aspp_v2_head import ASPPV2Head

__all__ = ['ASPPV2Head']
