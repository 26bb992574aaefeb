import numpy as np
import pydensecrf.densecrf as dcrf
import pytest

from semples_mmseg.pseudo_masks import dense_crf
from semples_mmseg.pseudo_masks.dense_crf import (CRF_PRESETS, CRFParams,
                                                  crf_marginals,
                                                  crf_refine_labels,
                                                  crf_refine_probs)


def edge_image(size=20, edge=10):
    image = np.zeros((size, size, 3), np.uint8)
    image[:, edge:] = 255  # a sharp vertical edge
    return image


def reference_marginals(image, unary, sxy_g, compat_g, sxy_b, srgb, compat_b):
    """pydensecrf called directly, as the references write it."""
    h, w = image.shape[:2]
    crf = dcrf.DenseCRF2D(w, h, unary.shape[0])
    crf.setUnaryEnergy(np.ascontiguousarray(unary, np.float32))
    crf.addPairwiseGaussian(sxy=sxy_g, compat=compat_g)
    crf.addPairwiseBilateral(sxy=sxy_b, srgb=srgb, rgbim=image,
                             compat=compat_b)
    return np.array(crf.inference(10)).reshape(unary.shape[0], h, w)


def test_presets_are_the_references_numbers():
    assert CRF_PRESETS == {
        'weaktr_voc': CRFParams(4, 3, 83, 5, 3, 10),
        'weaktr_coco': CRFParams(3, 3, 50, 5, 10, 10),
        'irnet': CRFParams(3, 3, 50, 5, 10, 10),
        'weaktr_voc_final': CRFParams(3, 3, 83, 5, 3, 10),
        'weaktr_coco_final': CRFParams(1, 3, 67, 3, 4, 10),
        'deeplabv2': CRFParams(1, 3, 67, 3, 4, 10),
    }


@pytest.mark.parametrize('preset', ['weaktr_voc', 'weaktr_coco', 'irnet'])
def test_crf_snaps_a_sloppy_label_to_the_image_edge(preset):
    labels = np.zeros((20, 20), np.uint8)
    labels[:, 7:] = 15  # the label overshoots the edge by 3 columns
    out = crf_refine_labels(edge_image(), labels, preset=preset)
    assert set(np.unique(out).tolist()) == {0, 15}
    assert (out[:, 12:] == 15).all()
    assert (out[:, :7] == 0).all()
    # the overshoot on the dark side is pulled back toward the edge
    assert (out[:, 7:10] == 0).mean() > 0.5


def test_label_crf_is_the_references_formula():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (12, 14, 3), dtype=np.uint8)
    labels = rng.choice([0, 3], size=(12, 14)).astype(np.uint8)
    # class 7 is an image-level class that lost all its pixels
    out = crf_refine_labels(image, labels, label_set=[0, 3, 7],
                            preset='weaktr_voc')
    compact = (labels == 3).astype(int)
    unary = np.full((3, labels.size), -np.log(0.3 / 2), np.float32)
    unary[compact.ravel(), np.arange(labels.size)] = -np.log(0.7)
    q = reference_marginals(image, unary, 4, 3, 83, 5, 3)
    assert np.array_equal(out, np.array([0, 3, 7])[q.argmax(0)])


def test_a_label_set_wider_than_the_map_reaches_the_crf(monkeypatch):
    seen = {}

    def record(image, unary, params):
        seen.update(unary=unary, params=params)
        return np.zeros((unary.shape[0], ) + image.shape[:2])

    monkeypatch.setattr(dense_crf, '_dense_crf', record)
    labels = np.zeros((4, 4), np.uint8)
    labels[0, 0] = 5
    crf_refine_labels(np.zeros((4, 4, 3), np.uint8), labels,
                      label_set=[0, 5, 9, 12], preset='weaktr_coco')
    unary = seen['unary']
    assert unary.shape == (4, 16)
    # the absent classes 9 and 12: (1 - 0.7) / 3 everywhere
    assert np.allclose(unary[2:], -np.log(0.1))
    assert np.isclose(unary[1, 0], -np.log(0.7))
    assert seen['params'] == CRF_PRESETS['weaktr_coco']


def test_single_label_bad_sizes_and_values():
    labels = np.full((4, 4), 3, np.uint8)
    assert (crf_refine_labels(np.zeros((4, 4, 3), np.uint8), labels) ==
            3).all()
    with pytest.raises(ValueError, match=r'\(4, 5\)'):
        crf_refine_labels(np.zeros((4, 5, 3), np.uint8), labels)
    with pytest.raises(ValueError, match=r'\[3\].*\[0, 4\]'):
        crf_refine_labels(np.zeros((4, 4, 3), np.uint8), labels,
                          label_set=[0, 4])
    with pytest.raises(ValueError, match='weaktr_vco'):
        crf_refine_labels(np.zeros((4, 4, 3), np.uint8), labels,
                          label_set=[0, 3], preset='weaktr_vco')


def test_probability_crf_snaps_to_the_edge():
    probs = np.zeros((2, 16, 16), np.float32)
    probs[1, :, :5] = 0.05
    probs[1, :, 5:8] = 0.55  # class 1 overshoots the edge at column 8
    probs[1, :, 8:] = 0.9
    probs[0] = 1 - probs[1]
    pred = crf_refine_probs(edge_image(16, 8), probs,
                            preset='weaktr_voc_final')
    assert pred.shape == (16, 16) and pred.dtype == np.int64
    assert (pred[:, 10:] == 1).all() and (pred[:, :5] == 0).all()
    assert (pred[:, 5:8] == 0).mean() > 0.5


def test_probability_crf_uses_the_clipped_log_as_the_reference():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    p = rng.dirichlet([1, 1, 1], size=(10, 12)).transpose(2, 0, 1)
    fused = (1.8 * p).astype(np.float32)  # WeakTr's fused map sums to 1.8
    q = crf_marginals(image, fused, preset='weaktr_coco_final')
    unary = -np.log(np.clip(fused, 1e-5, 1.0)).reshape(3, -1)
    assert np.allclose(q, reference_marginals(image, unary, 1, 3, 67, 3, 4))
    assert np.array_equal(
        crf_refine_probs(image, fused, preset='deeplabv2'), q.argmax(0))
    with pytest.raises(ValueError, match=r"\(3, 10, 3\)"):
        crf_refine_probs(image, fused[:, :, :3])
