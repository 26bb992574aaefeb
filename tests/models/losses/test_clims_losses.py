import math

import pytest
import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from semples_mmseg.models.losses import (CAMAreaLoss,
                                         CLIMSBackgroundSuppressionLoss)
from semples_mmseg.models.losses.clims_background_suppression import \
    COCO_BACKGROUND_PROMPTS


def cbs_inputs():
    """bg_text = unit vectors e1, e2, e3 of R^4, so s[p, q] = img_fg[p, q]."""
    near_one = 0.99995
    img_fg = torch.tensor(
        [[0.6, 0.8, 0.0, 0.0],  # s = 0.6, 0.8, 0
         [0.0, 0.28, 0.96, 0.0],  # s = 0, 0.28, 0.96
         [0.26, 0.1, 0.0, math.sqrt(1 - 0.26**2 - 0.1**2)],  # none > 0.26
         [near_one, 0.0, 0.0, math.sqrt(1 - near_one**2)]],  # s = 0.99995
        dtype=torch.float64, requires_grad=True)
    bg_text = torch.eye(4, dtype=torch.float64)[:3]
    return img_fg, bg_text


def test_cbs_sums_unclamped_terms_above_the_threshold(device):
    img_fg, bg_text = (t.to(device) for t in cbs_inputs())
    expected = -(math.log(1 - 0.6) + math.log(1 - 0.8) + math.log(1 - 0.28) +
                 math.log(1 - 0.96) + math.log(1 - 0.99995))
    loss = CLIMSBackgroundSuppressionLoss(loss_weight=2.0)
    terms = loss.terms(img_fg, bg_text)
    assert set(terms) == {'cbs'}
    assert terms['cbs'].item() == pytest.approx(expected, rel=1e-9)
    # clamping at 0.9999 would give -log(1e-4) = 9.21 for the last pair
    assert -math.log(1 - 0.99995) == pytest.approx(9.9035, abs=1e-4)
    assert loss(img_fg, bg_text).item() == pytest.approx(2 * expected,
                                                         rel=1e-9)


def test_cbs_gradient_is_one_over_one_minus_s_where_counted():
    img_fg, bg_text = cbs_inputs()
    CLIMSBackgroundSuppressionLoss()(img_fg, bg_text).backward()
    grad = img_fg.grad
    assert grad[0, :3].tolist() == pytest.approx([1 / 0.4, 1 / 0.2, 0.0])
    assert grad[1, :3].tolist() == pytest.approx([0.0, 1 / 0.72, 1 / 0.04])
    assert torch.all(grad[2] == 0)  # s = 0.26 is not > 0.26
    assert grad[3, 0].item() == pytest.approx(1 / (1 - 0.99995), rel=1e-6)


def test_cbs_threshold_is_configurable():
    img_fg, bg_text = cbs_inputs()
    coco = CLIMSBackgroundSuppressionLoss(threshold=0.285)  # drops s = 0.28
    expected = -(math.log(0.4) + math.log(0.2) + math.log(0.04) +
                 math.log(1 - 0.99995))
    assert coco(img_fg, bg_text).item() == pytest.approx(expected, rel=1e-9)


def test_cbs_zero_pairs_give_a_connected_zero():
    bg_text = torch.eye(3)[:2]
    img_fg = torch.zeros(0, 3, requires_grad=True)
    loss = CLIMSBackgroundSuppressionLoss()(img_fg, bg_text)
    assert loss.item() == 0 and loss.requires_grad


def test_cbs_prompts_and_bad_inputs():
    loss = MODELS.build(dict(type='CLIMSBackgroundSuppressionLoss'))
    assert loss.loss_name == 'loss_cbs'
    assert len(loss.background_prompts) == 10
    assert loss.background_prompts[0] == 'a photo of tree.'
    assert loss.background_prompts[-1] == 'a photo of rocks.'
    assert len(set(COCO_BACKGROUND_PROMPTS)) == 88  # CLIMS's COCO list
    assert 'a photo of tree branch.' in COCO_BACKGROUND_PROMPTS
    coco = CLIMSBackgroundSuppressionLoss(background_prompts='coco')
    assert coco.background_prompts == COCO_BACKGROUND_PROMPTS
    own = CLIMSBackgroundSuppressionLoss(background_prompts=['a photo of x.'])
    assert own.background_prompts == ('a photo of x.', )
    with pytest.raises(ValueError, match=r'\(2, 5\) and \(3, 4\)'):
        loss(torch.zeros(2, 5), torch.zeros(3, 4))
    with pytest.raises(ValueError,
                       match=r"\['coco', 'voc'\].*'a photo of sky.'"):
        CLIMSBackgroundSuppressionLoss(background_prompts='a photo of sky.')
    with pytest.raises(ValueError, match='non-empty'):
        CLIMSBackgroundSuppressionLoss(background_prompts=[])


def test_area_is_the_mean_sigmoid_over_all_classes_and_positions():
    ln3, ln4 = math.log(3), math.log(4)
    # image 0: sigmoid 0.5, 0.75 (class 0) and 0.25, 0.5 (class 1);
    # image 1: sigmoid 0.8 everywhere
    logits = torch.tensor([[[[0.0, ln3]], [[-ln3, 0.0]]],
                           [[[ln4, ln4]], [[ln4, ln4]]]], requires_grad=True)
    out = dict(cam_logits=logits, cams=logits.relu())
    expected = (0.5 + 0.75 + 0.25 + 0.5 + 4 * 0.8) / 8  # 0.65
    loss = CAMAreaLoss(loss_weight=0.2)
    for labels in (torch.tensor([[1., 0.], [0., 1.]]), torch.zeros(2, 2)):
        terms = loss.terms(out, labels)
        assert set(terms) == {'area'}
        assert terms['area'].item() == pytest.approx(expected)
        assert loss(out, labels).item() == pytest.approx(0.2 * expected)
    loss(out, torch.zeros(2, 2)).backward()
    # d/dz 0.2 * mean sigmoid = 0.2 * s (1 - s) / 8, unlabelled classes too
    assert logits.grad[0, 1, 0, 1].item() == pytest.approx(0.2 * 0.25 / 8)
    assert logits.grad[1, 0, 0, 0].item() == pytest.approx(0.2 * 0.16 / 8)
    assert loss.loss_name == 'loss_area'


def test_area_bad_inputs_are_named():
    loss = CAMAreaLoss()
    with pytest.raises(KeyError, match="'cam_logits'.*'cams'"):
        loss(dict(cams=torch.zeros(1, 2, 1, 1)), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r'labels \(1, 3\).*\(1, 2, 1, 1\)'):
        loss(dict(cam_logits=torch.zeros(1, 2, 1, 1)), torch.zeros(1, 3))


def test_cbs_computes_fp16_similarities_in_float32():
    """2 * 0.70703125**2 = 0.99978 rounds to 1.0 in fp16: -log(0) = inf."""
    half = torch.tensor([[0.70703125, 0.70703125]], dtype=torch.float16)
    loss = CLIMSBackgroundSuppressionLoss()(half, half)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(-math.log(1 - 2 * 0.70703125**2),
                                        rel=1e-5)
    assert (half @ half.t()).item() == 1.0  # what fp16 alone would give


def test_clims_weights_map_onto_segment_label_matching():
    """10 L_OTM + 24 L_BTM (VOC) and 2 L_OTM + 14 L_BTM (COCO) are
    SegmentLabelMatchingLoss(lambda_b=2.4, loss_weight=10) / (7, 2)."""
    from semples_mmseg.models.losses import SegmentLabelMatchingLoss
    torch.manual_seed(0)
    fg, bg, text = (F.normalize(torch.randn(5, 8), dim=1) for _ in range(3))
    for (w_otm, w_btm), (lambda_b, weight) in (
            ((10, 24), (2.4, 10)), ((2, 14), (7, 2))):
        match = SegmentLabelMatchingLoss(lambda_b=lambda_b,
                                         loss_weight=weight)
        t = match.terms(fg, bg, text)
        assert match(fg, bg, text).item() == pytest.approx(
            (w_otm * t['otm'] + w_btm * t['btm']).item(), rel=1e-6)


def test_area_of_half_precision_logits_is_float32():
    logits = torch.full((2, 3, 4, 4), math.log(4), dtype=torch.float16)
    area = CAMAreaLoss().terms(dict(cam_logits=logits), torch.zeros(2, 3))
    assert area['area'].dtype == torch.float32
    assert area['area'].item() == pytest.approx(0.8, abs=1e-3)
