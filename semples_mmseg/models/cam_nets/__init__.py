"""CAM networks: image (B, 3, H, W) -> dict with class maps 'cams' (B, K, h, w)."""
from .clims_resnet import CLIMSResNet50CAM
from .weaktr import WeakTrCAMNet

__all__ = ['WeakTrCAMNet', 'CLIMSResNet50CAM']
