import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from PIL import Image

from mmseg.structures import SegDataSample


def sample(label: np.ndarray) -> SegDataSample:
    h, w = label.shape
    s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                    pad_shape=(h, w)))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(label).long()[None])
    return s


def pil_nearest(label: np.ndarray, size) -> torch.Tensor:
    """The reference's label resize: PIL nearest on a float image."""
    img = Image.fromarray(label.astype(np.float32))
    return torch.from_numpy(
        np.array(img.resize(size[::-1], resample=Image.NEAREST))).long()


def test_training_gives_three_scales_and_their_max(tiny_deeplabv2):
    model = tiny_deeplabv2()
    model.train()
    x = torch.randn(2, 3, 65, 65)
    full, half, three_quarter, maximum = model.forward_scales(x)
    assert model.output_names == ['x1', 'x0.5', 'x0.75', 'max']
    # ceil-mode stem pool, stride 8: 65 -> 9, 32 -> 5, 48 -> 7
    assert full.shape == (2, 4, 9, 9)
    assert half.shape == (2, 4, 5, 5)
    assert three_quarter.shape == (2, 4, 7, 7)
    head, feat = model.decode_head, model.extract_feat
    torch.testing.assert_close(half, head(feat(F.interpolate(
        x, scale_factor=0.5, mode='bilinear', align_corners=False))))
    up = [F.interpolate(t, size=(9, 9), mode='bilinear', align_corners=False)
          for t in (half, three_quarter)]
    torch.testing.assert_close(
        maximum, torch.maximum(full, torch.maximum(up[0], up[1])))
    # each of the three wins somewhere
    winner = torch.stack([full, *up]).argmax(0)
    assert set(winner.unique().tolist()) == {0, 1, 2}


def test_prediction_is_the_max_at_the_image_size(tiny_deeplabv2):
    model = tiny_deeplabv2()
    model.eval()
    x = torch.randn(1, 3, 65, 65)
    maximum = model.forward_scales(x)[-1]
    torch.testing.assert_close(model(x, mode='tensor'), maximum)
    pred = model.predict(x, [sample(np.zeros((65, 65), np.uint8))])[0]
    expected = F.interpolate(maximum, size=(65, 65), mode='bilinear',
                             align_corners=False)[0]
    torch.testing.assert_close(pred.seg_logits.data, expected)
    assert torch.equal(pred.pred_sem_seg.data, expected.argmax(0,
                                                               keepdim=True))


def test_loss_sums_ce_of_each_map_against_labels_shrunk_to_it(
        tiny_deeplabv2):
    model = tiny_deeplabv2()
    model.train()
    rng = np.random.default_rng(0)
    labels = [rng.choice([0, 1, 2, 3, 255], size=(65, 65)).astype(np.uint8)
              for _ in range(2)]
    x = torch.randn(2, 3, 65, 65)
    losses = model.loss(x, [sample(label) for label in labels])
    assert set(losses) == {'x1.loss_ce', 'x0.5.loss_ce', 'x0.75.loss_ce',
                           'max.loss_ce', 'max.acc_seg'}
    expected = {}
    for name, logits in zip(model.output_names, model.forward_scales(x)):
        target = torch.stack(
            [pil_nearest(label, logits.shape[2:]) for label in labels])
        # the reference's nn.CrossEntropyLoss(ignore_index=255), at stride 8
        expected[name] = F.cross_entropy(logits, target, ignore_index=255)
        torch.testing.assert_close(losses[f'{name}.loss_ce'], expected[name])
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, sum(expected.values()))
    total.backward()
    assert model.decode_head.convs[0].weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.backbone.bn1.weight.grad is None  # frozen BN


def test_a_train_step_updates_convs_and_keeps_frozen_bn(tiny_deeplabv2):
    model = tiny_deeplabv2()
    model.train()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)))
    rng = np.random.default_rng(1)
    data = dict(
        inputs=[torch.from_numpy(rng.integers(0, 256, (3, 60, 65),
                                              dtype=np.uint8))
                for _ in range(2)],
        data_samples=[sample(rng.choice([0, 2], size=(60, 65)).astype(
            np.uint8)) for _ in range(2)])
    head_before = model.decode_head.convs[3].weight.clone()
    stem_before = model.backbone.conv1.weight.clone()
    bn_before = model.backbone.bn1.running_mean.clone()
    log = model.train_step(data, wrapper)
    assert torch.isfinite(log['loss'])
    assert not torch.equal(model.decode_head.convs[3].weight, head_before)
    assert not torch.equal(model.backbone.conv1.weight, stem_before)
    assert torch.equal(model.backbone.bn1.running_mean, bn_before)


def test_scales_must_be_positive(tiny_deeplabv2):
    with pytest.raises(ValueError, match='scales'):
        tiny_deeplabv2(scales=())
    with pytest.raises(ValueError, match=r'-0\.5'):
        tiny_deeplabv2(scales=(0.5, -0.5))
