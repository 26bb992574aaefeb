"""Weak-label datasets (image-level labels) and their transforms."""
from . import transforms  # noqa: F401
from .voc_weak import VOCWeakDataset

__all__ = ['VOCWeakDataset']
