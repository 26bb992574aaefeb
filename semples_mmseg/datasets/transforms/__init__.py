"""Transforms of the weak-label pipelines."""
from .formatting import PackWeakSegInputs
from .loading import LoadCheckedImageFromFile, LoadWeakAnnotations

__all__ = [
    'PackWeakSegInputs', 'LoadCheckedImageFromFile', 'LoadWeakAnnotations'
]
