"""The IR-label rule: with the CRF stubbed, and once with the real CRF."""
import numpy as np

from semples_mmseg.pseudo_masks.ir_labels import ir_label_map, label_crf


def test_three_way_rule_with_the_crf_stubbed():
    high_res = np.zeros((2, 2, 4), np.float32)
    high_res[0] = [[0.90, 0.35, 0.20, 0.05], [0.30, 0.00, 0.10, 0.50]]
    high_res[1] = [[0.10, 0.40, 0.05, 0.09], [0.20, 0.60, 0.11, 0.40]]
    seen = []

    def stub(image, labels, num_labels):
        seen.append((labels.copy(), num_labels))
        return labels

    out = ir_label_map(np.zeros((2, 4, 3), np.uint8), high_res,
                       np.array([4, 14]), crf=stub)
    # >= 0.30 beats the foreground plane (a tie stays background), < 0.10
    # everywhere is confident background, the rest uncertain
    assert out.tolist() == [[5, 15, 255, 0], [255, 15, 255, 5]]
    assert out.dtype == np.uint8
    assert [n for _, n in seen] == [3, 3]  # background + two classes
    assert seen[0][0].tolist() == [[1, 2, 0, 0], [0, 2, 0, 1]]


def test_real_crf_snaps_the_labels_to_the_image_edge():
    image = np.zeros((16, 16, 3), np.uint8)
    image[:, 8:] = 255  # a sharp colour edge at column 8
    high_res = np.zeros((1, 16, 16), np.float32)
    high_res[0, :, 6:] = 0.8  # the CAM overshoots the edge by 2 columns
    out = ir_label_map(image, high_res, np.array([6]))
    assert (out[:, 8:] == 7).all()
    assert (out[:, :6] == 0).all()
    assert not (out[:, 6:8] == 7).any()  # pulled back to the edge


def test_every_label_takes_part_in_the_crf():
    image = np.zeros((8, 8, 3), np.uint8)
    labels = np.zeros((8, 8), np.int64)
    labels[:, 4:] = 1
    out = label_crf(image, labels, num_labels=3, iterations=1)
    assert out.shape == (8, 8) and set(np.unique(out)) <= {0, 1, 2}
    assert (label_crf(image, np.zeros((8, 8), np.int64), num_labels=1)
            == 0).all()
