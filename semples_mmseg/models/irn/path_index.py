"""IRNet's pixel pairs: the directions within a radius and the cells between.

A pixel forms a pair with every pixel at an offset (dy, dx) of the half
plane ``dy = 0, 0 < dx < r`` or ``0 < dy < r, |dx| < r``, with
``dy^2 + dx^2 < r^2``: each unordered pair once (34 directions at r = 5,
152 at r = 10). The path of a pair is the cells of the bounding box of its
two pixels whose centre lies within distance < 1 of the line through them
(both pixels included). The affinity of a pair is 1 - the largest boundary
value along its path (jiwoon-ahn/irn ``misc/indexing.py``).

Sources are the cells of a map cropped by ``r - 1`` at the bottom, left and
right, so every destination is inside the map; the random walk pads its
boundary map by ``r - 1`` with 1.0 on those sides so that every pixel is a
source and pairs leaving the image get affinity 0.
"""
from typing import List, Tuple

import torch
from torch import Tensor

Offset = Tuple[int, int]


def search_directions(radius: int) -> List[Offset]:
    """The (dy, dx) offsets of the half plane within ``radius``."""
    directions = [(0, dx) for dx in range(1, radius)]
    directions += [(dy, dx) for dy in range(1, radius)
                   for dx in range(-radius + 1, radius)
                   if dy * dy + dx * dx < radius * radius]
    return directions


def path_cells(dy: int, dx: int) -> List[Offset]:
    """Cells (y, x) of the box from (0, 0) to (dy, dx) whose distance to the
    line through both is < 1: ``(dy x - dx y)^2 < dy^2 + dx^2``."""
    length_sq = dy * dy + dx * dx
    return [(y, x) for y in range(min(0, dy), max(0, dy) + 1)
            for x in range(min(0, dx), max(0, dx) + 1)
            if (dy * x - dx * y)**2 < length_sq]


class PathIndex:
    """Pairs within ``radius`` on any (h, w) map, by slicing (no index tables).

    Args:
        radius: integer >= 2 (IRNet: 10 for training, 5 for the walk).
    """

    def __init__(self, *, radius: int) -> None:
        if not isinstance(radius, int) or radius < 2:
            raise ValueError(f'PathIndex: radius must be an integer >= 2, '
                             f'got {radius!r}')
        self.radius = radius
        self.margin = radius - 1
        self.directions = search_directions(radius)
        self.paths = [path_cells(dy, dx) for dy, dx in self.directions]

    def __len__(self) -> int:
        return len(self.directions)

    def source_shape(self, height: int, width: int) -> Tuple[int, int]:
        """(h', w') of the source window of an (height, width) map."""
        shape = (height - self.margin, width - 2 * self.margin)
        if min(shape) < 1:
            raise ValueError(f'a {height} x {width} map is too small for '
                             f'path radius {self.radius}')
        return shape

    def _window(self, x: Tensor, dy: int, dx: int) -> Tensor:
        """(..., h, w) -> (..., h', w'): the cells at (dy, dx) from the
        sources."""
        rows, cols = self.source_shape(*x.shape[-2:])
        left = self.margin + dx
        return x[..., dy:dy + rows, left:left + cols]

    def sources(self, x: Tensor) -> Tensor:
        """(..., h, w) -> (..., S) values at the S = h' w' sources."""
        return self._window(x, 0, 0).flatten(-2)

    def destinations(self, x: Tensor) -> Tensor:
        """(..., h, w) -> (..., D, S) values at each direction's end."""
        return torch.stack(
            [self._window(x, dy, dx) for dy, dx in self.directions],
            dim=-3).flatten(-2)

    def path_max(self, x: Tensor) -> Tensor:
        """(..., h, w) -> (..., D, S) the largest value along each path."""
        maxima = []
        for cells in self.paths:
            best = self._window(x, *cells[0])
            for y, x_ in cells[1:]:
                best = torch.maximum(best, self._window(x, y, x_))
            maxima.append(best)
        return torch.stack(maxima, dim=-3).flatten(-2)

    def affinity(self, boundary: Tensor) -> Tensor:
        """(..., h, w) boundary in [0, 1] -> (..., D, S) pair affinities
        ``1 - max(boundary along the path)``."""
        return 1 - self.path_max(boundary)
