"""SAM-based seeding on hand-made masks and CAMs (numbers computed by hand).

A 10 x 10 image, three masks: A (level 2) rows 0-4, B (level 1) rows 0-1
inside A, C (level 0) rows 6-9; row 5 is covered by none. Two image-level
classes painting 3 and 15 (fg_cls 2 and 14):

    X: rows 2-4 0.5, rows 6-9 1.0, else 0   -> means A 0.3, B 0, C 1
    Y: rows 0-1 0.9, rows 2-4 0.1, row 5 7, rows 6-9 0.3
                                            -> means A 0.42, B 0.9, C 0.3
    min-max across masks: X [0.3, 0, 1], Y [0.2, 1, 0]
    background (1 - max) ** 0.6: A 0.7 ** 0.6 = 0.8073, B 0, C 0
    labels: A background (conf 0.807), B Y (conf 1), C X (conf 1)
"""
import numpy as np
import pytest
import torch

from semples_mmseg.pseudo_masks import sam_seeds
from semples_mmseg.pseudo_masks.sam_seeding import mask_class_scores


def rows(*spans):
    m = np.zeros((10, 10), bool)
    for a, b in spans:
        m[a:b + 1] = True
    return m


MASKS = np.stack([rows((0, 4)), rows((0, 1)), rows((6, 9))])
LEVELS = np.array([2, 1, 0])
CLASSES = np.array([3, 15])


def hand_cams():
    x = np.zeros((10, 10), np.float32)
    x[2:5], x[6:] = 0.5, 1.0
    y = np.zeros((10, 10), np.float32)
    y[0:2], y[2:5], y[5], y[6:] = 0.9, 0.1, 7.0, 0.3
    return np.stack([x, y])


@pytest.mark.parametrize('gamma', [0.6, 0.7])
def test_mask_means_min_max_and_background_exponent(gamma):
    scores = mask_class_scores(hand_cams(), MASKS, gamma=gamma)
    fg = scores[:, 1:]
    np.testing.assert_allclose(fg[:, 0], [0.3, 0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(fg[:, 1], [0.2, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(scores[0, 0], 0.7**gamma, atol=1e-5)
    np.testing.assert_allclose(scores[1:, 0], [0.0, 0.0], atol=1e-3)


def test_negative_cam_values_count_as_zero():
    cams = hand_cams()
    cams[0, 0:2] = -5.0  # inside B and A: clamped, so the means are unchanged
    scores = mask_class_scores(cams, MASKS, gamma=0.6)
    np.testing.assert_allclose(scores[:, 1], [0.3, 0.0, 1.0], atol=1e-6)


def test_labels_painting_order_uncovered_and_values():
    seeds = sam_seeds(hand_cams(), CLASSES, MASKS, LEVELS, gamma=0.6)
    assert seeds.shape == (10, 10) and seeds.dtype == CLASSES.dtype
    expected = np.zeros((10, 10), np.int64)
    # A (background, level 2) is painted over B (Y at confidence 1 > 0.81)
    # because its level is higher; row 5 is uncovered (despite Y = 7 there)
    expected[6:] = 3
    np.testing.assert_array_equal(seeds, expected)
    assert set(np.unique(seeds)) <= {0, 3, 15}


def test_cpu_tensors_are_taken_as_they_are():
    seeds = sam_seeds(torch.from_numpy(hand_cams()),
                      torch.from_numpy(CLASSES).to(torch.uint8),
                      torch.from_numpy(MASKS), torch.from_numpy(LEVELS),
                      gamma=0.6)
    assert seeds.dtype == np.uint8 and seeds[6:].tolist() == [[3] * 10] * 4


def test_a_lower_level_whole_lets_the_part_show():
    seeds = sam_seeds(hand_cams(), CLASSES, MASKS, np.array([0, 1, 0]),
                      gamma=0.6)
    assert (seeds[0:2] == 15).all()  # B now outranks A
    assert (seeds[2:6] == 0).all() and (seeds[6:] == 3).all()


def test_equal_levels_paint_the_more_confident_mask_last():
    # one row of 8 pixels, all masks level 0; X paints 1, Y paints 2
    cams = np.array([[[1, 1, 1, 0, 0, 0, 0, 0]],
                     [[0, 0, .8, .8, .8, 0, 0, 1]]], np.float32)
    spans = [(0, 2), (2, 4), (7, 7), (6, 6)]
    masks = np.zeros((4, 1, 8), bool)
    for mask, (a, b) in zip(masks, spans):
        mask[0, a:b + 1] = True
    # X: means [1, 1/3, 0, 0] -> [1, 1/3, 0, 0]; Y: [0.27, 0.8, 1, 0] ->
    # [0.27, 0.8, 1, 0]; bg (gamma 1): [0, 0.2, 0, 1]. Mask 0 is X at
    # confidence 1, mask 1 is Y at 0.8: at pixel 2 X wins, in either order
    expected = [[1, 1, 1, 2, 2, 0, 0, 2]]
    for order in ([0, 1, 2, 3], [3, 2, 1, 0]):
        seeds = sam_seeds(cams, [1, 2], masks[order], [0] * 4, gamma=1.0)
        np.testing.assert_array_equal(seeds, expected)


def test_the_exponent_decides_between_background_and_class():
    cams = np.zeros((1, 2, 4), np.float32)
    cams[0, :, 1:3] = 1.0
    half, none = np.zeros((2, 4), bool), np.zeros((2, 4), bool)
    half[:, :2] = True  # mean 0.5 of the max 1 -> normalised 0.5
    full = np.zeros((2, 4), bool)
    full[:, 1:3] = True  # mean 1
    none[:, 3] = True  # mean 0
    masks = np.stack([half, full, none])
    levels = [1, 0, 0]
    # 0.5 ** 0.6 = 0.66 > 0.5: background; 0.5 ** 2 = 0.25 < 0.5: class
    low = sam_seeds(cams, [4], masks, levels, gamma=0.6)
    high = sam_seeds(cams, [4], masks, levels, gamma=2.0)
    assert (low[:, :2] == 0).all() and (high[:, :2] == 4).all()


def test_no_masks_or_no_classes_give_background():
    cams = hand_cams()
    empty = np.zeros((0, 10, 10), bool)
    assert not sam_seeds(cams, CLASSES, empty, [], gamma=0.7).any()
    assert not sam_seeds(cams[:0], CLASSES[:0], MASKS, LEVELS,
                         gamma=0.7).any()


def test_an_empty_mask_is_ignored():
    masks = np.concatenate([MASKS, np.zeros((1, 10, 10), bool)])
    seeds = sam_seeds(hand_cams(), CLASSES, masks, [2, 1, 0, 2], gamma=0.6)
    expected = sam_seeds(hand_cams(), CLASSES, MASKS, LEVELS, gamma=0.6)
    np.testing.assert_array_equal(seeds, expected)


def test_shapes_that_do_not_match_are_named():
    with pytest.raises(ValueError, match=r'\(S, 10, 10\)'):
        sam_seeds(hand_cams(), CLASSES, MASKS[:, :8], LEVELS, gamma=0.7)
    with pytest.raises(ValueError, match='classes'):
        sam_seeds(hand_cams(), CLASSES[:1], MASKS, LEVELS, gamma=0.7)
    with pytest.raises(ValueError, match='levels'):
        sam_seeds(hand_cams(), CLASSES, MASKS, LEVELS[:2], gamma=0.7)
