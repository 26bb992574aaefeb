"""Affinity labels of the pairs from an IR label map (IRNet's training)."""
from typing import NamedTuple

from torch import Tensor

from .path_index import PathIndex


class AffinityLabels(NamedTuple):
    """(..., D, S) float masks of the pairs of a :class:`PathIndex`."""
    bg_pos: Tensor  # same label, background
    fg_pos: Tensor  # same label, a class
    neg: Tensor  # different labels


def affinity_labels(labels: Tensor,
                    path_index: PathIndex,
                    *,
                    ignore_index: int = 255) -> AffinityLabels:
    """Pairs of an (..., h, w) label map (0 background, classes, ignore).

    A pair counts when neither end is ``ignore_index``; it is positive when
    both ends agree (background or foreground by the label) and negative
    otherwise.
    """
    src = path_index.sources(labels).unsqueeze(-2)
    dst = path_index.destinations(labels)
    valid = (src != ignore_index) & (dst != ignore_index)
    same = (src == dst) & valid
    return AffinityLabels(
        bg_pos=(same & (src == 0)).float(),
        fg_pos=(same & (src != 0)).float(),
        neg=((src != dst) & valid).float())
