"""Images of an export read ahead by DataLoader workers, one per batch.

``build_export_loader(dataset, indices, workers=2)`` yields, in the order
of ``indices``, ``pseudo_collate([dataset[i]])`` for each index: the
dataset's own test pipeline, run by ``workers`` seeded worker processes
that keep ``prefetch_factor`` images each ready while the main process
runs the model (``workers=0``: read in the main process, the serial path).
A failure to read an image does not kill the worker: it comes back as a
:class:`ReadFailure` naming the file, in its turn, so the images before it
are still exported and the error is the same with or without workers.
"""
from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

from mmengine.dataset import pseudo_collate, worker_init_fn
from mmengine.dist import get_rank
import torch
from torch.utils.data import DataLoader, Dataset


@dataclass
class ReadFailure:
    """The image at ``path`` could not be read; ``message`` says why."""
    path: str
    message: str

    def error(self) -> RuntimeError:
        return RuntimeError(f'reading {self.path} failed: {self.message}')


class IndexedImages(Dataset):
    """``dataset[indices[i]]``, with read errors returned as ReadFailure."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        index = self.indices[i]
        try:
            return self.dataset[index]
        except Exception as exc:  # named in the main process, in order
            path = self.dataset.get_data_info(index).get('img_path')
            return ReadFailure(str(path), f'{type(exc).__name__}: {exc}')


def collate_one(items: Sequence[Any]) -> Any:
    """``pseudo_collate`` of a batch of one, or its ReadFailure."""
    if isinstance(items[0], ReadFailure):
        return items[0]
    return pseudo_collate(items)


def build_export_loader(dataset,
                        indices: Sequence[int],
                        *,
                        workers: int = 2,
                        prefetch_factor: int = 2,
                        seed: int = 0,
                        pin_memory: bool = False) -> DataLoader:
    """A DataLoader over ``dataset[i] for i in indices`` at batch 1.

    Args:
        workers: worker processes (0: read in the main process).
        prefetch_factor: images each worker keeps ready.
        seed: workers are seeded as mmengine seeds them
            (``workers * rank + worker_id + seed``), so a random transform
            in a test pipeline would draw the same on every run.
    """
    if workers < 0:
        raise ValueError(f'workers must be >= 0, got {workers}')
    extra = dict(
        prefetch_factor=prefetch_factor,
        worker_init_fn=partial(
            worker_init_fn, num_workers=workers, rank=get_rank(),
            seed=seed)) if workers else {}
    return DataLoader(
        IndexedImages(dataset, indices),
        batch_size=1,
        shuffle=False,
        num_workers=workers,
        collate_fn=collate_one,
        pin_memory=pin_memory,
        persistent_workers=False,
        # the iterator's base seed from its own generator: an export never
        # draws from (or depends on) the global torch RNG
        generator=torch.Generator().manual_seed(seed),
        **extra)
