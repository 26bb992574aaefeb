import numpy as np
import pytest

from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels


def test_crf_snaps_a_sloppy_label_to_the_image_edge():
    image = np.zeros((20, 20, 3), np.uint8)
    image[:, 10:] = 255  # a sharp vertical edge at column 10
    labels = np.zeros((20, 20), np.uint8)
    labels[:, 7:] = 15  # the label overshoots the edge by 3 columns
    out = crf_refine_labels(image, labels)
    assert set(np.unique(out).tolist()) == {0, 15}
    assert (out[:, 12:] == 15).all()
    assert (out[:, :7] == 0).all()
    # the overshoot on the dark side is pulled back toward the edge
    assert (out[:, 7:10] == 0).mean() > 0.5


def test_single_label_and_size_mismatch():
    labels = np.full((4, 4), 3, np.uint8)
    assert (crf_refine_labels(np.zeros((4, 4, 3), np.uint8), labels) ==
            3).all()
    with pytest.raises(ValueError, match=r'\(4, 5\)'):
        crf_refine_labels(np.zeros((4, 5, 3), np.uint8), labels)
