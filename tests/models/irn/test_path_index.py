"""Path index geometry, affinity labels and affinities on hand-made maps."""
import math

import pytest
import torch

from semples_mmseg.models.irn import PathIndex, affinity_labels


def segment_distance(cell, end):
    """Distance of a cell centre to the segment from (0, 0) to ``end``."""
    (y, x), (dy, dx) = cell, end
    t = max(0.0, min(1.0, (y * dy + x * dx) / (dy * dy + dx * dx)))
    return math.hypot(y - t * dy, x - t * dx)


@pytest.mark.parametrize('radius,count', [(5, 34), (10, 152)])
def test_directions_fill_a_half_disc(radius, count):
    index = PathIndex(radius=radius)
    assert len(index) == count
    assert len(set(index.directions)) == count
    for dy, dx in index.directions:
        assert dy > 0 or (dy == 0 and dx > 0)  # half plane
        assert dy * dy + dx * dx < radius * radius
        assert (-dy, -dx) not in index.directions  # each pair once


@pytest.mark.parametrize('radius', [5, 10])
def test_paths_are_the_cells_within_one_of_the_segment(radius):
    index = PathIndex(radius=radius)
    window = range(-radius, radius + 1)
    for (dy, dx), path in zip(index.directions, index.paths):
        assert (0, 0) in path and (dy, dx) in path
        near = {(y, x) for y in window for x in window
                if segment_distance((y, x), (dy, dx)) < 1 - 1e-9}
        assert set(path) == near


def test_sources_and_destinations_of_a_12_by_12_grid():
    index = PathIndex(radius=5)  # margin 4: rows 0..7, columns 4..7
    grid = torch.arange(144).view(12, 12)
    sources = index.sources(grid)
    assert sources.shape == (32, )
    assert sources[0] == 4 and sources[-1] == 7 * 12 + 7
    dst = index.destinations(grid)
    assert dst.shape == (34, 32)
    for d, (dy, dx) in enumerate(index.directions):
        assert (dst[d] == sources + dy * 12 + dx).all()
    with pytest.raises(ValueError, match='radius 10'):
        PathIndex(radius=10).sources(grid)


def test_affinity_labels_of_an_8_by_8_map_with_a_255_column():
    labels = torch.zeros(8, 8, dtype=torch.long)
    labels[:, 4:] = 3
    labels[:, 6] = 255
    index = PathIndex(radius=3)  # margin 2: sources rows 0..5, cols 2..5
    pairs = affinity_labels(labels, index)
    assert pairs.bg_pos.shape == (12, 24)
    src = [(y, x) for y in range(6) for x in range(2, 6)]
    for d, (dy, dx) in enumerate(index.directions):
        for s, (y, x) in enumerate(src):
            a, b = int(labels[y, x]), int(labels[y + dy, x + dx])
            valid = 255 not in (a, b)
            assert pairs.bg_pos[d, s] == (valid and a == b == 0)
            assert pairs.fg_pos[d, s] == (valid and a == b == 3)
            assert pairs.neg[d, s] == (valid and a != b)
            if valid and a == b == 0:
                assert x < 4 and x + dx < 4  # left half only
            if a != b and valid:
                assert min(x, x + dx) < 4 <= max(x, x + dx)  # crosses
    # every pair with an end in the 255 column counts for nothing
    any_label = pairs.bg_pos + pairs.fg_pos + pairs.neg
    for d, (dy, dx) in enumerate(index.directions):
        for s, (y, x) in enumerate(src):
            if 6 in (x, x + dx):
                assert any_label[d, s] == 0
    assert pairs.bg_pos.sum() > 0 and pairs.fg_pos.sum() > 0
    assert pairs.neg.sum() > 0


def test_affinity_of_an_edge_map_with_a_wall():
    edge = torch.zeros(10, 10)
    edge[:, 4] = 1.0  # the wall
    index = PathIndex(radius=3)  # sources rows 0..7, columns 2..7
    affinity = index.affinity(edge)
    src = [(y, x) for y in range(8) for x in range(2, 8)]
    for d, (dy, dx) in enumerate(index.directions):
        for s, (y, x) in enumerate(src):
            cols = (x, x + dx)
            touches = min(cols) <= 4 <= max(cols)
            assert affinity[d, s] == (0.0 if touches else 1.0)
    # a pair that only grazes a pillar takes its value (max along the path)
    pillar = torch.zeros(6, 12)
    pillar[1, 5] = 0.7
    index = PathIndex(radius=5)  # sources (0, 4..7); direction (1, 4)
    d = index.directions.index((1, 4))
    affinity = index.affinity(pillar)
    s = 0  # source (0, 4) -> (1, 8): the line passes 0.73 from (1, 5)
    assert affinity[d, s] == pytest.approx(0.3)
    assert affinity[index.directions.index((0, 4)), s] == 1.0
