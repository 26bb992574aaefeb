"""Weak-label datasets (image-level labels) and their transforms."""
from . import transforms  # noqa: F401
