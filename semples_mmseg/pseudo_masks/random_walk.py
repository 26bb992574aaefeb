"""IRNet's random walk: class maps propagated through boundary affinities.

For an (h, w) boundary map B and n = h w pixels, the affinity of two pixels
within ``radius`` (the pairs of :class:`PathIndex`) is 1 - the largest B on
the path between them; every pixel has affinity 1 with itself, pixels
farther apart 0. T = A^beta (elementwise), each column divided by its sum.
The walk of a class map x (a row vector of n) is x T^(2^exp_times)
(jiwoon-ahn/irn ``misc/indexing.py`` ``propagate_to_edge``).

The reference builds T as a dense n x n matrix (0.55 GB for a 500 x 375
image) and squares it ``exp_times`` times. Here T stays sparse: its
non-zeros lie on the 2 D + 1 diagonals of the pair offsets (69 at radius 5),
so x T is a weighted sum of 69 shifted copies of x, applied 2^exp_times
times. Memory is linear in the pixels; the result is the dense one up to
float rounding. On the CPU, values below float's normal range (where the
walk barely reaches) are flushed to zero during the walk: denormal
arithmetic is several times slower there.
"""
from contextlib import contextmanager
from typing import Iterator, List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..models.irn.path_index import PathIndex

Offset = Tuple[int, int]


def transition_diagonals(boundary: Tensor,
                         *,
                         radius: int = 5,
                         beta: float = 10) -> Tuple[List[Offset], Tensor]:
    """T by its diagonals: ``offsets`` (O,) and ``weights`` (O, h, w) with
    ``weights[o, y, x] = T[(y, x) + offsets[o], (y, x)]`` (0 where that
    pixel is outside). Each (y, x) column of T sums to 1 over o.

    Args:
        boundary: (h, w) boundary probabilities in [0, 1].
    """
    if boundary.dim() != 2:
        raise ValueError(f'boundary must be (h, w), got shape '
                         f'{tuple(boundary.shape)}')
    if beta <= 0:
        raise ValueError(f'beta must be > 0, got {beta!r}')
    path_index = PathIndex(radius=radius)
    m = path_index.margin
    height, width = boundary.shape
    # pairs leaving the image cross the padding (1.0): affinity 0
    padded = F.pad(boundary[None], (m, m, 0, m), value=1.0)[0]
    forward = path_index.affinity(padded).pow(beta).view(-1, height, width)
    # the same pair seen from its other end: weights shifted by the offset
    behind = F.pad(forward, (m, m, m, m))
    backward = torch.stack([
        behind[d, m - dy:m - dy + height, m - dx:m - dx + width]
        for d, (dy, dx) in enumerate(path_index.directions)
    ])
    weights = torch.cat([forward.new_ones(1, height, width), forward,
                         backward])
    offsets = [(0, 0)] + path_index.directions + [
        (-dy, -dx) for dy, dx in path_index.directions]
    return offsets, weights / weights.sum(dim=0, keepdim=True)


def apply_transition(x: Tensor, offsets: List[Offset], weights: Tensor,
                     margin: int) -> Tensor:
    """(K, h, w) row vectors x -> x T for T given by its diagonals."""
    height, width = x.shape[-2:]
    padded = F.pad(x, (margin, margin, margin, margin))
    out = torch.zeros_like(x)
    for weight, (dy, dx) in zip(weights, offsets):
        out.addcmul_(
            weight, padded[:, margin + dy:margin + dy + height,
                           margin + dx:margin + dx + width])
    return out


@contextmanager
def denormals_flushed(device: torch.device) -> Iterator[None]:
    """CPU: flush denormal floats to zero inside the block, then switch it
    off again (PyTorch's default; it has no getter for the flag)."""
    flush = device.type == 'cpu' and torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if flush:
            torch.set_flush_denormal(False)


def random_walk(cams: Tensor,
                boundary: Tensor,
                *,
                radius: int = 5,
                beta: float = 10,
                exp_times: int = 8) -> Tensor:
    """The walk of the class maps of one image, before any upsampling.

    Args:
        cams: (K, h, w) stride-4 CAMs of the image's classes (K may be 0).
        boundary: (h, w) boundary probabilities in [0, 1].
        radius, beta, exp_times: IRNet's random-walk constants (5, 10, 8).

    Returns:
        (K, h, w): ``(cams * (1 - boundary))`` as row vectors times
        T^(2^exp_times), in the promoted floating dtype of the inputs.
    """
    if cams.dim() != 3 or cams.shape[1:] != boundary.shape:
        raise ValueError(f'cams {tuple(cams.shape)} must be (K, h, w) with '
                         f'(h, w) = the boundary {tuple(boundary.shape)}')
    if not isinstance(exp_times, int) or exp_times < 0:
        raise ValueError(f'exp_times must be an integer >= 0, got '
                         f'{exp_times!r}')
    dtype = torch.promote_types(cams.dtype, boundary.dtype)
    boundary = boundary.to(dtype)
    x = cams.to(dtype) * (1 - boundary)
    if not len(x):
        return x
    offsets, weights = transition_diagonals(
        boundary, radius=radius, beta=beta)
    with denormals_flushed(x.device):
        for _ in range(2**exp_times):
            x = apply_transition(x, offsets, weights, radius - 1)
    return x
