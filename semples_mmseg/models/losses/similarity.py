"""Similarity helpers shared by the CLIP-guided losses (METHOD section 3)."""
import torch
from torch import Tensor

CLAMP_MIN = 1e-4
CLAMP_MAX = 0.9999


def pair_similarity(a: Tensor, b: Tensor) -> Tensor:
    """(P,) dot products of row-wise L2-normalised (P, D) embeddings.

    No logit scale, no temperature: the cosine similarity itself, computed in
    at least float32 even under fp16 autocast (in fp16, 0.9999 rounds to 1 and
    -log(1 - s) would be infinite).
    """
    if a.shape != b.shape:
        raise ValueError(f'pair embeddings differ in shape: {tuple(a.shape)} '
                         f'vs {tuple(b.shape)}')
    dtype = torch.promote_types(a.dtype, torch.float32)
    return (a.to(dtype) * b.to(dtype)).sum(dim=-1)


def clamp_similarity(sim: Tensor) -> Tensor:
    """clamp(s) = min(max(s, 1e-4), 0.9999), so both logs stay finite."""
    return sim.clamp(CLAMP_MIN, CLAMP_MAX)


def mean_over_pairs(values: Tensor) -> Tensor:
    """Plain mean over the P pairs; P = 0 gives a zero still in the graph."""
    if values.numel() == 0:
        return values.sum() * 0
    return values.mean()
