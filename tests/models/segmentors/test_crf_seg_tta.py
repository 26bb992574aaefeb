"""CRFSegTTAModel: mean of the views' softmaxes, then the probability CRF."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from PIL import Image
from torch import nn

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from semples_mmseg.models.segmentors import crf_seg_tta

REPO = Path(__file__).resolve().parents[3]
TINY = REPO / 'tests/data/configs/weaktr_retrain_tiny_fixture.py'


class FusingStandIn(nn.Module):
    """What the TTA model reads of a fusing segmentor."""
    fusion_mass = 1.8

    def test_step(self, data):
        raise AssertionError('merge_preds is tested on hand-made views')


def view(logits, img_path='x.png'):
    sample = SegDataSample(metainfo=dict(img_path=img_path,
                                         ori_shape=logits.shape[1:]))
    sample.seg_logits = PixelData(data=logits)
    sample.gt_sem_seg = PixelData(data=torch.zeros((1, ) +
                                                   logits.shape[1:]).long())
    return sample


def test_views_merge_as_the_mean_of_their_softmaxes():
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=FusingStandIn(),
                            crf_preset=None))
    # the mean of the logits picks class 0 (1.0 vs 0.5), the mean of the
    # softmaxes class 1: (0.490, 0.066, 0.444) and (0.269, 0.731, 0.000)
    a = torch.tensor([2.0, 0.0, 1.9]).view(3, 1, 1)
    b = torch.tensor([0.0, 1.0, -10.0]).view(3, 1, 1)
    merged = tta.merge_preds([[view(a), view(b)]])[0]
    mean = (a.softmax(0) + b.softmax(0)) / 2
    assert mean[1] > mean[0] and (a + b)[0] > (a + b)[1]
    assert merged.pred_sem_seg.data.tolist() == [[[1]]]
    assert merged.img_path == 'x.png' and 'gt_sem_seg' in merged


def test_crf_sees_the_unnormalised_fused_map_of_the_argmax_classes(
        tmp_path, monkeypatch):
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(tmp_path / 'a.png')
    seen = {}

    def fake_crf(image, probs, preset):
        seen.update(image=image, probs=probs, preset=preset)
        return probs[::-1].argmax(0)  # flips the two classes' winner

    monkeypatch.setattr(crf_seg_tta, 'crf_refine_probs', fake_crf)
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=FusingStandIn(),
                            crf_preset='weaktr_coco_final'))
    logits = torch.full((4, 2, 3), -20.0)
    logits[1, :, :2] = 5.0  # class 1 on the left, class 3 on the right
    logits[3, :, 2] = 5.0
    merged = tta.merge_preds([[view(logits, str(tmp_path / 'a.png'))]])[0]
    expected = 1.8 * logits.softmax(0)[[1, 3]]
    assert np.allclose(seen['probs'], expected.numpy())
    assert seen['image'].shape == (2, 3, 3)
    assert seen['preset'] == 'weaktr_coco_final'
    # the CRF's argmax is mapped back to the class ids 1 and 3
    assert merged.pred_sem_seg.data.tolist() == [[[3, 3, 1], [3, 3, 1]]]


def test_an_image_of_another_size_is_named(tmp_path):
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(tmp_path / 'b.png')
    tta = MODELS.build(dict(type='CRFSegTTAModel', module=FusingStandIn()))
    logits = torch.zeros(3, 2, 3)
    logits[1, :, 0] = 3.0
    with pytest.raises(ValueError, match=r'b\.png is \(5, 5\)'):
        tta.merge_preds([[view(logits, str(tmp_path / 'b.png'))]])


def test_an_unknown_preset_is_refused_at_build():
    with pytest.raises(ValueError, match='weaktr_voc_fina'):
        MODELS.build(dict(type='CRFSegTTAModel', module=FusingStandIn(),
                          crf_preset='weaktr_voc_fina'))


def test_twelve_views_of_the_config_end_to_end(tmp_path):
    """The config's tta_pipeline and tta_model around the tiny model (then
    at an eighth of the view sizes and 64-pixel windows: CPU time)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / 'img.jpg')
    Image.fromarray(np.zeros((60, 80), np.uint8)).save(tmp_path / 'gt.png')
    cfg = Config.fromfile(str(TINY))
    views = Compose(cfg.tta_pipeline)(
        dict(img_path=str(tmp_path / 'img.jpg'),
             seg_map_path=str(tmp_path / 'gt.png'), reduce_zero_label=False,
             seg_fields=[]))
    shapes = [s.img_shape for s in views['data_samples']]
    # short side 520 * r (0.5 ... 1.75), each view also mirrored
    assert shapes[::2] == [(260, 347), (390, 520), (520, 693), (650, 867),
                           (780, 1040), (910, 1213)]
    assert [s.flip for s in views['data_samples'][:2]] == [False, True]
    cfg.tta_pipeline[1].transforms[0] = [
        dict(type='Resize', scale=(520 * r, 65 * r), keep_ratio=True)
        for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)]
    views = Compose(cfg.tta_pipeline)(
        dict(img_path=str(tmp_path / 'img.jpg'),
             seg_map_path=str(tmp_path / 'gt.png'), reduce_zero_label=False,
             seg_fields=[]))
    cfg.model.test_cfg.update(crop_size=(64, 64), stride=(40, 40))
    cfg.tta_model.module = cfg.model
    torch.manual_seed(0)
    tta = MODELS.build(cfg.tta_model).eval()
    with torch.no_grad():
        out = tta.test_step(pseudo_collate([views]))[0]
    assert out.pred_sem_seg.data.shape == (1, 60, 80)
    assert out.img_path == str(tmp_path / 'img.jpg')
