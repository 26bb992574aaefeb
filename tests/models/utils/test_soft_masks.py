import pytest
import torch

from semples_mmseg.models.utils.soft_masks import (labelled_pairs,
                                                   masked_pair_images,
                                                   minmax_soft_masks,
                                                   pair_images, pair_maps,
                                                   sigmoid_soft_masks)


def test_minmax_soft_mask_values_by_hand(device):
    cams = torch.tensor([[[[0., 1.], [2., 4.]]]], device=device)  # (1, 1, 2, 2)
    masks = minmax_soft_masks(cams, size=2, eps=0.1)
    # (F - 0) / (4 - 0 + 0.1)
    expected = torch.tensor([0., 1., 2., 4.], device=device) / 4.1
    assert torch.allclose(masks.flatten(), expected)
    # the soft normaliser keeps the maximum below 1
    assert masks.max() < 1


def test_minmax_is_per_image_and_class_and_resizes_align_corners():
    cams = torch.zeros(2, 3, 4, 4)
    cams[0, 1] = torch.arange(16.).view(4, 4)
    cams[1, 2] = 5 * torch.arange(16.).view(4, 4) + 7
    masks = minmax_soft_masks(cams, size=7, eps=1e-4)
    assert masks.shape == (2, 3, 7, 7)
    # align_corners=True keeps the corner values: min at (0, 0), max at (-1, -1)
    for b, k, span in ((0, 1, 15.), (1, 2, 75.)):
        assert masks[b, k, 0, 0] == 0
        assert torch.isclose(masks[b, k, -1, -1],
                             torch.tensor(span / (span + 1e-4)))
    assert masks[0, 0].abs().max() == 0  # a constant map gives 0, not NaN


def test_sigmoid_masks():
    logits = torch.tensor([[[[0., 2.]]]])
    masks = sigmoid_soft_masks(logits, size=1)
    assert masks.shape == (1, 1, 1, 1)
    logits2 = torch.full((1, 1, 3, 3), 1.5)
    assert torch.allclose(
        sigmoid_soft_masks(logits2, size=5), torch.sigmoid(torch.tensor(1.5)))


def test_pairs_are_gathered_image_major():
    labels = torch.tensor([[0., 1., 1.], [1., 0., 0.]])
    img_idx, cls_idx = labelled_pairs(labels)
    assert img_idx.tolist() == [0, 0, 1]
    assert cls_idx.tolist() == [1, 2, 0]
    images = torch.arange(2.).view(2, 1, 1, 1).expand(2, 3, 2, 2) + 1
    masks = torch.rand(2, 3, 2, 2)
    fg, bg = masked_pair_images(images, masks, img_idx, cls_idx)
    assert fg.shape == bg.shape == (3, 3, 2, 2)
    assert torch.allclose(fg[1], masks[0, 2] * 1)
    assert torch.allclose(bg[2], (1 - masks[1, 0]) * 2)
    assert torch.allclose(fg + bg, images[img_idx])


def test_no_pairs_gives_empty_batches_that_backpropagate():
    labels = torch.zeros(2, 3)
    img_idx, cls_idx = labelled_pairs(labels)
    masks = torch.rand(2, 3, 2, 2, requires_grad=True)
    fg, bg = masked_pair_images(torch.ones(2, 3, 2, 2), masks, img_idx,
                                cls_idx)
    assert fg.shape == (0, 3, 2, 2)
    (fg.sum() + bg.sum()).backward()
    assert masks.grad is not None and masks.grad.abs().sum() == 0


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_pair_masks_first_equal_all_masks_then_gathered(device, dtype):
    torch.manual_seed(0)
    cams = (torch.rand(3, 4, 5, 6) * 3).to(device, dtype)
    labels = torch.tensor([[1., 0, 0, 1], [0, 0, 0, 0], [0, 1, 1, 1]],
                          device=device)
    img_idx, cls_idx = labelled_pairs(labels)
    pairs = minmax_soft_masks(pair_maps(cams, img_idx, cls_idx), 11, 0.1)
    every = minmax_soft_masks(cams, 11, 0.1)[img_idx, cls_idx]
    assert pairs.shape == (5, 1, 11, 11)
    assert (pairs.device, pairs.dtype) == (cams.device, dtype)
    assert torch.allclose(pairs[:, 0], every, atol=1e-7, rtol=0)
    sig = sigmoid_soft_masks(pair_maps(cams - 1.5, img_idx, cls_idx), 11)
    assert torch.allclose(sig[:, 0],
                          sigmoid_soft_masks(cams - 1.5, 11)[img_idx, cls_idx],
                          atol=1e-7, rtol=0)


def test_pair_images_foregrounds_then_backgrounds(device):
    images = torch.arange(2., device=device).view(2, 1, 1, 1).expand(
        2, 3, 2, 2) + 1
    masks = torch.rand(2, 3, 2, 2, device=device)
    img_idx = torch.tensor([0, 0, 1], device=device)
    cls_idx = torch.tensor([1, 2, 0], device=device)
    fg, bg = masked_pair_images(images, masks, img_idx, cls_idx)
    pm = pair_maps(masks, img_idx, cls_idx)
    both = pair_images(images, pm, img_idx)
    assert both.shape == (6, 3, 2, 2)
    assert torch.equal(both[:3], fg) and torch.equal(both[3:], bg)
    assert torch.equal(pair_images(images, pm, img_idx, background=False), fg)
    assert torch.equal(pair_images(images, pm, img_idx, foreground=False), bg)
    assert torch.allclose(bg[2], (1 - masks[1, 0]) * 2)
    with pytest.raises(ValueError, match='foreground, the background'):
        pair_images(images, pm, img_idx, foreground=False, background=False)
    empty = pair_images(images, pm[:0], img_idx[:0])
    assert empty.shape == (0, 3, 2, 2)
