"""Backbones: mmseg's, with the changes a reference needs."""
from .resnet_ceil_pool import ResNetCeilPool

__all__ = ['ResNetCeilPool']
