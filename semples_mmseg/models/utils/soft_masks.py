"""From class maps to the masked images CLIP judges (METHOD section 2).

All functions are batched: (image, class) pairs are selected with a gather,
never with a Python loop. Training gathers the P labelled maps first
(:func:`pair_maps`) and upsamples and normalises only those: resizing and
min-max normalisation act on each map alone, so the values are those of
normalising all B x K maps and gathering afterwards.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def resize_to(x: Tensor, size: int) -> Tensor:
    """Bilinear resize (align_corners=True, as the reference) of (N, C, H, W) to (N, C, S, S)."""
    if tuple(x.shape[-2:]) == (size, size):
        return x
    return F.interpolate(
        x, size=(size, size), mode='bilinear', align_corners=True)


def minmax_soft_masks(cams: Tensor, size: int, eps: float) -> Tensor:
    """Soft masks M = (F - min F) / (max F - min F + eps) per (image, class).

    Args:
        cams: (B, K, h, w) class maps F.
        size: side S of the CLIP input.
        eps: 0.1 in stages 1 and 3, 1e-4 in stage 2 (a soft normaliser).

    Returns:
        (B, K, S, S) masks in [0, 1).
    """
    up = resize_to(cams, size)
    flat = up.flatten(2)
    lo = flat.min(dim=2, keepdim=True)[0]
    hi = flat.max(dim=2, keepdim=True)[0]
    return ((flat - lo) / (hi - lo + eps)).view_as(up)


def sigmoid_soft_masks(cam_logits: Tensor, size: int) -> Tensor:
    """CLIMS masks: M = sigmoid of the classifier map, then resized.

    Args:
        cam_logits: (B, K, h, w) raw classifier maps.

    Returns:
        (B, K, S, S) masks in (0, 1).
    """
    return resize_to(torch.sigmoid(cam_logits), size)


def labelled_pairs(labels: Tensor) -> Tuple[Tensor, Tensor]:
    """Indices of the P (image n, class k) pairs with label 1.

    Args:
        labels: (B, K) multi-hot.

    Returns:
        (img_idx (P,), cls_idx (P,)) long tensors, image-major order.
    """
    return (labels > 0.5).nonzero(as_tuple=True)


def pair_maps(maps: Tensor, img_idx: Tensor, cls_idx: Tensor) -> Tensor:
    """(B, K, h, w) maps -> (P, 1, h, w) maps of the P pairs (n, k).

    The result is a (N, C, h, w) batch again, so :func:`minmax_soft_masks`
    and :func:`sigmoid_soft_masks` apply to it unchanged.
    """
    return maps[img_idx, cls_idx].unsqueeze(1)


def pair_images(images: Tensor, pair_masks: Tensor, img_idx: Tensor, *,
                foreground: bool = True,
                background: bool = True) -> Tensor:
    """The masked images of the P pairs, foregrounds first.

    Args:
        images: (B, 3, S, S).
        pair_masks: (P, 1, S, S) soft masks M of the pairs.
        img_idx: (P,) image of each pair.
        foreground / background: which of X^f = M * X[n] and
            X^b = (1 - M) * X[n] to make.

    Returns:
        (P, 3, S, S) with one of them, (2P, 3, S, S) with both:
        [X^f_1..X^f_P, X^b_1..X^b_P], made by one product without a copy
        of the two halves.
    """
    x = images[img_idx]
    if foreground and background:
        both = torch.stack([pair_masks, 1 - pair_masks])  # (2, P, 1, S, S)
        return (both * x).flatten(0, 1)
    if foreground:
        return pair_masks * x
    if background:
        return (1 - pair_masks) * x
    raise ValueError('pair_images: ask for the foreground, the background '
                     'or both')


def masked_pair_images(images: Tensor, masks: Tensor, img_idx: Tensor,
                       cls_idx: Tensor) -> Tuple[Tensor, Tensor]:
    """X^f = M[n, k] * X[n] and X^b = (1 - M[n, k]) * X[n] for every pair.

    Args:
        images: (B, 3, S, S).
        masks: (B, K, S, S).
        img_idx, cls_idx: (P,) pair indices.

    Returns:
        foreground (P, 3, S, S) and background (P, 3, S, S) images.
    """
    m = masks[img_idx, cls_idx].unsqueeze(1)
    x = images[img_idx]
    return m * x, (1 - m) * x
