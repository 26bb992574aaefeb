import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from semples_mmseg.models.segmentors.dense_crf_tta import wrap_to_uint8
from semples_mmseg.pseudo_masks import dense_crf


class RecordingCRF:
    """Stands in for crf_refine_probs: records its inputs, returns the
    least likely class (so a test can tell its labels from the argmax)."""

    def __init__(self):
        self.calls = []

    def __call__(self, image, probs, *, preset):
        self.calls.append(dict(image=image, probs=probs, preset=preset))
        return probs.argmin(axis=0)


@pytest.fixture
def crf(monkeypatch):
    stub = RecordingCRF()
    monkeypatch.setattr(dense_crf, 'crf_refine_probs', stub, raising=False)
    return stub


def image_batch(height=40, width=50):
    """One BGR uint8 image: (B, G, R) = (100, 120, 130), one dark pixel."""
    raw = torch.empty(3, height, width, dtype=torch.uint8)
    raw[0], raw[1], raw[2] = 100, 120, 130
    raw[:, 0, 0] = torch.tensor([5, 250, 0], dtype=torch.uint8)
    meta = dict(img_path='JPEGImages/a.jpg', img_shape=(height, width),
                ori_shape=(height, width))
    sample = SegDataSample(metainfo=meta)
    sample.gt_sem_seg = PixelData(
        data=torch.zeros(1, height, width, dtype=torch.long))
    return dict(inputs=[raw], data_samples=[sample])


def tta(tiny_deeplabv2, **kwargs):
    model = MODELS.build(
        dict(type='DenseCRFTTAModel', module=tiny_deeplabv2(), **kwargs))
    model.eval()
    return model


def test_crf_sees_the_mean_subtracted_bgr_image_cast_to_uint8(
        tiny_deeplabv2, crf):
    model = tta(tiny_deeplabv2, crf_preset='deeplabv2')
    out = model.test_step(image_batch())[0]
    call = crf.calls[0]
    assert call['preset'] == 'deeplabv2'
    image = call['image']
    assert image.dtype == np.uint8 and image.shape == (40, 50, 3)
    # B 100 - 104.008 = -4.008 -> -4 -> 252; G 3.331 -> 3; R 7.325 -> 7
    assert image[5, 5].tolist() == [252, 3, 7]
    # 5 - 104.008 -> 157; 250 - 116.669 -> 133; 0 - 122.675 -> 134
    assert image[0, 0].tolist() == [157, 133, 134]
    # the probabilities: softmax of the segmentor's logits, (C, H, W)
    logits = out.seg_logits.data.detach()
    np.testing.assert_allclose(call['probs'],
                               logits.softmax(0).numpy(), rtol=1e-6)
    assert torch.equal(out.pred_sem_seg.data[0],
                       torch.from_numpy(call['probs'].argmin(0)))


def test_rgb_switch_feeds_the_image_as_loaded(tiny_deeplabv2, crf):
    model = tta(tiny_deeplabv2, crf_image='rgb')
    model.test_step(image_batch())
    image = crf.calls[0]['image']
    assert image[5, 5].tolist() == [130, 120, 100]
    assert image[0, 0].tolist() == [0, 250, 5]


def test_wrap_matches_numpys_cast_of_the_reference():
    values = np.random.default_rng(0).uniform(
        -122.675, 255 - 104.008, size=(3, 30, 40)).astype(np.float32)
    reference = values.astype(np.uint8).transpose(1, 2, 0)
    assert np.array_equal(wrap_to_uint8(torch.from_numpy(values)), reference)


def test_bad_settings_and_inputs_are_named(tiny_deeplabv2, crf):
    with pytest.raises(ValueError, match="'bgr'"):
        tta(tiny_deeplabv2, crf_image='bgr')
    model = tta(tiny_deeplabv2)
    views = image_batch()
    views = dict(inputs=[views['inputs'] * 2],
                 data_samples=[views['data_samples'] * 2])
    with pytest.raises(ValueError, match='2 views'):
        model.test_step(views)
    resized = image_batch()
    resized['data_samples'][0].set_metainfo(dict(ori_shape=(80, 100)))
    with pytest.raises(ValueError, match=r'a\.jpg.*\(80, 100\)'):
        model.test_step(resized)
    assert not crf.calls


def test_missing_probability_crf_is_refused_at_build(tiny_deeplabv2,
                                                     monkeypatch):
    monkeypatch.delattr(dense_crf, 'crf_refine_probs', raising=False)
    with pytest.raises(ImportError, match='crf_refine_probs'):
        tta(tiny_deeplabv2)


@pytest.mark.skipif(not hasattr(dense_crf, 'crf_refine_probs'),
                    reason='the probability CRF is not in dense_crf yet')
def test_real_crf_returns_labels_of_the_image_size(tiny_deeplabv2):
    pytest.importorskip('pydensecrf')
    out = tta(tiny_deeplabv2).test_step(image_batch())[0]
    labels = out.pred_sem_seg.data
    assert labels.shape == (1, 40, 50) and labels.dtype == torch.long
    assert 0 <= labels.min() and labels.max() < 4
