"""The process's random-number state: capture, restore, fork.

Python's ``random``, NumPy's global generator and torch's CPU generator (and
the current CUDA device's, when CUDA is in use) are what mmengine, mmcv,
mmpretrain and our models draw from. States are plain Python values (bytes,
ints, tuples) so that they travel in checkpoints and through
``all_gather_object`` (which cannot carry tensors on every torch version).
"""
import random
from contextlib import contextmanager
from typing import Any, Dict, Iterator

import numpy as np
import torch


def capture_rng_state() -> Dict[str, Any]:
    """The current state of every generator, as plain Python values (bytes,
    ints, tuples): no tensors, so it pickles through ``all_gather_object``
    and into any checkpoint."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(str(kind), keys.astype(np.uint32).tobytes(), int(pos),
               int(has_gauss), float(gauss)),
        torch=torch.get_rng_state().numpy().tobytes())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state().numpy().tobytes()
    return state


def _byte_tensor(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Put back a state from :func:`capture_rng_state`."""
    random.setstate(_as_python_state(state['python']))
    kind, keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state((kind, np.frombuffer(keys, dtype=np.uint32).copy(),
                         pos, has_gauss, gauss))
    torch.set_rng_state(_byte_tensor(state['torch']))
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(_byte_tensor(state['cuda']))


def _as_python_state(value) -> tuple:
    """``random.setstate`` wants tuples; a checkpoint may give lists."""
    version, internal, gauss = value
    return (version, tuple(internal), gauss)


@contextmanager
def preserved_rng() -> Iterator[None]:
    """Run the block without changing the generators seen after it."""
    state = capture_rng_state()
    try:
        yield
    finally:
        restore_rng_state(state)


@contextmanager
def seeded_rng(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and torch with ``seed`` inside the block and put
    the previous states back after it."""
    with preserved_rng():
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        yield
