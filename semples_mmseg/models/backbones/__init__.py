"""Backbones: mmseg's, with the changes a reference needs."""
from .resnet_ceil_pool import ResNetCeilPool
from .strict_vit import StrictVisionTransformer

__all__ = ['ResNetCeilPool', 'StrictVisionTransformer']
