"""Transforms of the weak-label pipelines."""
from .formatting import PackWeakSegInputs
from .loading import LoadCheckedImageFromFile, LoadWeakAnnotations
from .rand_augment import PretrainRandAugment
from .random_rescale import RandomRescale

__all__ = [
    'PackWeakSegInputs', 'LoadCheckedImageFromFile', 'LoadWeakAnnotations',
    'PretrainRandAugment', 'RandomRescale'
]
