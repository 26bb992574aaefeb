"""A sampler whose indices carry the seed of each sample's augmentation.

mmengine seeds each dataloader worker once (``seed + worker id``), so with
``persistent_workers`` the random crop of a sample depends on how many
samples that worker drew before: a run resumed at epoch E draws other crops
than the uninterrupted run. ``SeededSampler`` is mmengine's
``DefaultSampler`` (same order, same arguments) whose indices are
:class:`SeededIndex` ints carrying ``hash(seed, epoch, index)``; a dataset
that knows them (``WeakLabelSegDataset``) runs the sample's pipeline inside
``index.seeded_rng()``: Python, NumPy and torch seeded by it, the worker's
generators put back afterwards. A sample's augmentation is then a function
of (seed, epoch, index) only: the same with 0 or 8 workers, on any rank,
resumed or not.
"""
import logging
from typing import ContextManager, Iterator

import numpy as np
from mmengine.dataset import DefaultSampler
from mmengine.logging import print_log

from mmseg.registry import DATA_SAMPLERS
from .rng_state import seeded_rng


class SeededIndex(int):
    """An ``int`` dataset index with a ``sample_seed`` attribute."""

    sample_seed: int

    def __new__(cls, index: int, sample_seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.sample_seed = int(sample_seed)
        return obj

    def __reduce__(self):  # keep the seed through worker queues
        return (SeededIndex, (int(self), self.sample_seed))

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, sample_seed={self.sample_seed})'

    def seeded_rng(self) -> ContextManager[None]:
        """The generators seeded by ``sample_seed`` inside the block."""
        return seeded_rng(self.sample_seed)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed for one sample of one epoch (NumPy's SeedSequence)."""
    return int(np.random.SeedSequence([seed % 2**32, epoch,
                                       index]).generate_state(1)[0])


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """``DefaultSampler`` yielding :class:`SeededIndex` (see module doc).

    Datasets that do not know ``SeededIndex`` see plain ints.
    """

    def __iter__(self) -> Iterator[int]:
        epoch = self.epoch
        return (SeededIndex(i, sample_seed(self.seed, epoch, i))
                for i in super().__iter__())


def warn_if_unseeded(loader, where: str) -> None:
    """Say so when ``loader`` has workers but no ``SeededSampler``: its
    augmentation would then depend on where a run was resumed."""
    sampler = getattr(loader, 'sampler', None)
    if loader.num_workers > 0 and not isinstance(sampler, SeededSampler):
        print_log(
            f'{where}: sampler {type(sampler).__name__} with '
            f'{loader.num_workers} workers: --resume will not repeat the '
            "augmentation (use sampler=dict(type='SeededSampler'))",
            logger='current', level=logging.WARNING)
