"""CAM networks: image (B, 3, H, W) -> dict with class maps 'cams' (B, K, h, w)."""
from .weaktr import WeakTrCAMNet

__all__ = ['WeakTrCAMNet']
