"""WeakTrEncoderDecoder: WeakTr's view protocol, fusion, one GCD step."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from semples_mmseg.models.segmentors.weaktr_encoder_decoder import (
    raise_short_side, window_anchors)

REPO = Path(__file__).resolve().parents[3]
TINY = REPO / 'tests/data/configs/weaktr_retrain_tiny_fixture.py'


def tiny_cfg():
    return Config.fromfile(str(TINY))


def tiny_model(**test_cfg):
    cfg = tiny_cfg()
    cfg.model.test_cfg.update(test_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('size, expected', [(500, [0, 20]), (480, [0]),
                                            (400, [0]), (800, [0, 320]),
                                            (1000, [0, 320, 520])])
def test_window_anchors(size, expected):
    assert window_anchors(size, 480, 320) == expected


def test_short_side_raised_as_the_reference():
    x = torch.rand(1, 3, 375, 500)
    assert raise_short_side(x, 480).shape[-2:] == (480, 640)
    assert raise_short_side(x.transpose(2, 3), 480).shape[-2:] == (640, 480)
    # 333 x 500: the long side 500 / 333 * 480 = 720.72 is truncated
    assert raise_short_side(torch.rand(1, 1, 333, 500), 480).shape[-2:] == (
        480, 720)
    big = torch.rand(1, 3, 480, 600)
    assert raise_short_side(big, 480) is big


def test_slide_averages_the_windows_of_the_raised_view(monkeypatch):
    model = tiny_model(crop_size=(480, 480), stride=(320, 320))
    calls = []

    def window_index(crop, metas):  # each window paints its index
        calls.append(tuple(crop.shape[-2:]))
        return torch.full((1, 6) + crop.shape[-2:], float(len(calls) - 1))

    monkeypatch.setattr(model, 'encode_decode', window_index)
    # 240 x 250 is raised to 480 x 500: windows at x = 0 and 20
    out = model.slide_inference(torch.rand(1, 3, 240, 250), [{}])
    assert calls == [(480, 480), (480, 480)]
    assert out.shape == (1, 6, 480, 500)
    assert (out[..., :20] == 0).all() and (out[..., 480:] == 1).all()
    assert (out[..., 20:480] == 0.5).all()


def test_fused_prediction_after_resizing(monkeypatch):
    model = tiny_model()
    k = model.num_classes
    # class 1 wins the final masks by a little, loses the fused map:
    # final softmax 0.55 / 0.45 at the pixel, intermediate 0.1 / 0.9
    logits = torch.full((1, 2 * k, 2, 2), -30.0)
    logits[0, 0], logits[0, 1] = 0.0, torch.log(torch.tensor(0.45 / 0.55))
    logits[0, k], logits[0, k + 1] = 0.0, torch.log(torch.tensor(9.0))
    sample = SegDataSample(metainfo=dict(ori_shape=(4, 4)))
    result = model.postprocess_result(logits, [sample])[0]
    probs = result.seg_logits.data.exp()
    assert probs.shape == (k, 4, 4)
    assert torch.allclose(probs[0], torch.tensor(0.55 + 0.8 * 0.1))
    assert torch.allclose(probs[1], torch.tensor(0.45 + 0.8 * 0.9))
    assert torch.allclose(probs.sum(0), torch.tensor(1.8))
    assert (result.pred_sem_seg.data == 1).all()
    assert model.fusion_mass == pytest.approx(1.8)


def test_predict_returns_k_fused_classes_at_the_image_size():
    model = tiny_model().eval()
    sample = SegDataSample(metainfo=dict(ori_shape=(100, 130),
                                         img_shape=(100, 130)))
    with torch.no_grad():
        out = model.predict(torch.rand(1, 3, 100, 130), [sample])[0]
    assert out.seg_logits.data.shape == (21, 100, 130)
    assert torch.allclose(out.seg_logits.data.exp().sum(0),
                          torch.tensor(1.8), atol=1e-5)
    assert out.pred_sem_seg.data.shape == (1, 100, 130)


def test_a_crop_the_windows_do_not_tile_is_refused_at_build():
    cfg = tiny_cfg()
    cfg.model.data_preprocessor.size = (512, 512)
    with pytest.raises(ValueError, match=r'120.*\(512, 512\)'):
        MODELS.build(cfg.model)


def test_one_training_step_with_the_clipping_loss():
    cfg = tiny_cfg()
    cfg.model.decode_head.loss_decode.start_value = 100.0  # clipping on
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 21, (1, 480, 480)))
        sample.set_metainfo(dict(img_shape=(480, 480), ori_shape=(480, 480)))
        samples.append(sample)
    data = dict(inputs=[torch.randint(0, 256, (3, 480, 480),
                                      dtype=torch.uint8) for _ in range(2)],
                data_samples=samples)
    log = model.train_step(data, wrapper)
    assert set(log) >= {'loss', 'decode.loss_gcd'}
    assert torch.isfinite(log['loss'])
    changed = {n for n, p in model.named_parameters()
               if not torch.equal(p, before[n])}
    assert any(n.startswith('backbone.') for n in changed)
    assert any(n.startswith('decode_head.') for n in changed)
