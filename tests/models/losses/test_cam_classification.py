import math

import pytest
import torch

from mmseg.registry import MODELS


def test_multilabel_soft_margin_of_pooled_scores_by_hand():
    loss = MODELS.build(dict(type='CAMClassificationLoss', loss_weight=2.0))
    scores = torch.tensor([[0.0, 2.0], [-1.0, 1.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    terms = loss.terms(dict(cls_logits=scores), labels)
    # image 1: -log s(0) - log(1 - s(2)); image 2: -log(1 - s(-1)) - log s(1)
    first = (math.log(2) + math.log(1 + math.e**2)) / 2
    second = (math.log(1 + math.e**-1) + math.log(1 + math.e**-1)) / 2
    assert terms['cls'].item() == pytest.approx((first + second) / 2)
    assert loss(dict(cls_logits=scores), labels).item() == pytest.approx(
        first + second)
    assert loss.loss_name == 'loss_cam_cls'


def test_needs_pooled_scores_of_the_labels_shape():
    loss = MODELS.build(dict(type='CAMClassificationLoss'))
    with pytest.raises(KeyError, match='cls_logits'):
        loss.terms(dict(cams=torch.zeros(1, 2, 3, 3)), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r'\(1, 3\)'):
        loss.terms(dict(cls_logits=torch.zeros(1, 2)), torch.zeros(1, 3))


def test_trains_clims_cam_network_as_a_classifier():
    net = MODELS.build(dict(type='CLIMSResNet50CAM', num_classes=3))
    loss = MODELS.build(dict(type='CAMClassificationLoss'))
    labels = torch.tensor([[1.0, 0.0, 1.0]])
    value = loss(net(torch.randn(1, 3, 32, 32)), labels)
    value.backward()
    assert net.classifier.weight.grad.abs().sum() > 0
    assert net.backbone.conv1.weight.grad is None  # CLIMS's frozen stem
