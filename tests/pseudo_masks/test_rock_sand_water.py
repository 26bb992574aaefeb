"""FMA's rock-sand-water filter and the chunked intersection counts."""
import numpy as np
import pytest
import torch

pytest.importorskip('segment_anything')
from semples_mmseg.pseudo_masks.sam_masks import (  # noqa: E402
    intersection_areas, rock_sand_water)


def mask(*cells):
    """10 x 10 mask of (row, first col, last col) runs."""
    m = torch.zeros(10, 10, dtype=torch.bool)
    for row, a, b in cells:
        m[row, a:b + 1] = True
    return m


WHOLE = mask(*[(r, 0, 9) for r in range(5)])  # level 2, rows 0-4
PART_80 = mask((4, 0, 7), (5, 0, 1))  # 8 of 10 pixels inside WHOLE
PART_20 = mask((4, 8, 9), (6, 0, 7))  # 2 of 10 inside WHOLE
SUB_80 = mask((6, 0, 7), (8, 0, 1))  # 8 of 10 inside PART_20 (kept)
SUB_20 = mask((6, 0, 1), (7, 0, 7))  # 2 of 10 inside PART_20
SUB_IN_DROPPED = mask((5, 0, 1), (9, 0, 7))  # only inside the dropped PART_80


def test_levels_filtered_against_the_growing_kept_set():
    masks = torch.stack(
        [SUB_80, PART_80, WHOLE, SUB_20, PART_20, SUB_IN_DROPPED])
    levels = torch.tensor([0, 1, 2, 0, 1, 0])
    keep = rock_sand_water(masks, levels, threshold=0.3)
    # 0.8 inside a kept mask: dropped; 0.2: kept; level 0 is compared with
    # the level-2 and the kept level-1 masks, never with a dropped one
    assert keep.tolist() == [False, False, True, True, True, True]


def test_a_share_of_exactly_the_threshold_is_dropped():
    part = mask((4, 0, 2), (9, 0, 6))  # 3 of 10 inside WHOLE
    keep = rock_sand_water(torch.stack([WHOLE, part]), torch.tensor([2, 1]),
                           threshold=0.3)
    assert keep.tolist() == [True, False]  # kept only below 0.3


def test_empty_sets():
    none = torch.zeros((0, 10, 10), dtype=torch.bool)
    assert rock_sand_water(none, torch.zeros(0), threshold=0.3).numel() == 0
    # no whole-level masks: the first level present is kept whole, and the
    # next is filtered against it
    masks = torch.stack([PART_80, PART_20, SUB_80])
    keep = rock_sand_water(masks, torch.tensor([1, 1, 0]), threshold=0.3)
    assert keep.tolist() == [True, True, False]
    # an empty mask is dropped, even on the top level
    masks = torch.stack([WHOLE, torch.zeros(10, 10, dtype=torch.bool)])
    keep = rock_sand_water(masks, torch.tensor([2, 2]), threshold=0.3)
    assert keep.tolist() == [True, False]


def test_intersection_areas_in_small_pixel_chunks_are_exact():
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.random((5, 9, 11)) > 0.5)
    b = torch.from_numpy(rng.random((3, 9, 11)) > 0.3)
    brute = (a[:, None] & b[None]).flatten(2).sum(2)
    for chunk in (1, 7, 99, 1 << 14):
        counts = intersection_areas(a, b, pixel_chunk=chunk)
        assert counts.dtype == torch.int64
        assert torch.equal(counts, brute)


def test_chunk_size_does_not_change_the_filter():
    masks = torch.stack(
        [SUB_80, PART_80, WHOLE, SUB_20, PART_20, SUB_IN_DROPPED])
    levels = torch.tensor([0, 1, 2, 0, 1, 0])
    whole = rock_sand_water(masks, levels, threshold=0.3)
    for chunk in (3, 10):
        assert torch.equal(
            rock_sand_water(masks, levels, threshold=0.3, pixel_chunk=chunk),
            whole)
