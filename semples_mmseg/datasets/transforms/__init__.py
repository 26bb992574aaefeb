"""Transforms of the weak-label pipelines."""
from .formatting import PackWeakSegInputs
from .loading import LoadCheckedImageFromFile, LoadWeakAnnotations
from .rand_augment import PretrainRandAugment

__all__ = [
    'PackWeakSegInputs', 'LoadCheckedImageFromFile', 'LoadWeakAnnotations',
    'PretrainRandAugment'
]
