"""The sparse random walk against the dense matrix written from the formula."""
import itertools

import pytest
import torch

from semples_mmseg.pseudo_masks.random_walk import (random_walk,
                                                    transition_diagonals)


def on_segment_cells(p, q):
    """Cells of the box of p and q within distance < 1 of the line p-q."""
    (y0, x0), (y1, x1) = p, q
    dy, dx = y1 - y0, x1 - x0
    return [(y, x) for y in range(min(y0, y1), max(y0, y1) + 1)
            for x in range(min(x0, x1), max(x0, x1) + 1)
            if (dy * (x - x0) - dx * (y - y0))**2 < dy * dy + dx * dx]


def dense_transition(boundary, radius, beta):
    """T of the formula: A_ij = 1 - max boundary on the path of i and j for
    0 < |i - j| < radius, A_ii = 1; T = A^beta, columns summing to 1."""
    h, w = boundary.shape
    cells = list(itertools.product(range(h), range(w)))
    a = torch.eye(h * w, dtype=torch.float64)
    for (i, p), (j, q) in itertools.combinations(enumerate(cells), 2):
        dist_sq = (p[0] - q[0])**2 + (p[1] - q[1])**2
        if 0 < dist_sq < radius * radius:
            path = on_segment_cells(p, q)
            a[i, j] = a[j, i] = 1 - max(float(boundary[c]) for c in path)
    t = a.pow(beta)
    return t / t.sum(dim=0, keepdim=True)


def wall(height=10, width=10, column=4):
    """Zeros with a vertical wall of ones."""
    boundary = torch.zeros(height, width, dtype=torch.float64)
    boundary[:, column] = 1.0
    return boundary


def test_columns_of_t_sum_to_one():
    torch.manual_seed(0)
    boundary = torch.rand(7, 9, dtype=torch.float64)
    _, weights = transition_diagonals(boundary, radius=5, beta=10)
    assert weights.shape == (69, 7, 9)
    assert torch.allclose(weights.sum(0), torch.ones(7, 9, dtype=torch.float64))


@pytest.mark.parametrize('radius,exp_times', [(5, 3), (3, 4)])
def test_sparse_walk_equals_the_dense_matrix_power(radius, exp_times):
    torch.manual_seed(1)
    boundary = torch.rand(6, 8, dtype=torch.float64) ** 3
    cams = torch.rand(2, 6, 8, dtype=torch.float64)
    t = dense_transition(boundary, radius, beta=10)
    for _ in range(exp_times):
        t = t @ t
    x = (cams * (1 - boundary)).reshape(2, -1)
    expected = (x @ t).reshape(2, 6, 8)
    walked = random_walk(cams, boundary, radius=radius, beta=10,
                         exp_times=exp_times)
    assert torch.allclose(walked, expected, atol=1e-10)
    # float32, the dtype of the real inputs: equal within 1e-4
    walked32 = random_walk(cams.float(), boundary.float(), radius=radius,
                           beta=10, exp_times=exp_times)
    assert (walked32.double() - expected).abs().max() < 1e-4


def test_mass_stays_on_its_side_of_the_wall():
    boundary = wall()
    cams = torch.zeros(1, 10, 10, dtype=torch.float64)
    cams[0, 2, 2] = 1.0
    walked = random_walk(cams, boundary, radius=5, beta=10, exp_times=3)[0]
    left, right = walked[:, :4], walked[:, 5:]
    assert (left > 1e-4).all()  # reached the whole left region
    assert right.max() < 1e-12  # nothing crossed
    assert (walked[:, 4] == 0).all()  # the wall itself: cam * (1 - 1)


def test_no_classes_and_shape_errors():
    empty = random_walk(torch.zeros(0, 4, 5), torch.zeros(4, 5))
    assert empty.shape == (0, 4, 5)
    with pytest.raises(ValueError, match=r'\(4, 5\)'):
        random_walk(torch.zeros(1, 5, 4), torch.zeros(4, 5))
