"""Multi-scale + flip CAM inference and seed label maps (METHOD section 6)."""
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def multiscale_flip_cams(cam_fn: Callable[[Tensor], Tensor],
                         images: Tensor,
                         labels: Tensor,
                         *,
                         scales: Sequence[float] = (1.0, 1.2),
                         flip: bool = True) -> Tensor:
    """Sum the CAMs of every scale (and its mirror), then normalise per class.

    Each scale's image is resized (bilinear, align_corners=False) to
    ``round(H * s), round(W * s)``; its maps are upsampled back to (H, W)
    (bilinear, align_corners=False), multiplied by the image-level labels
    (absent classes zeroed), mirrored maps flipped back, and all summed. Each
    present class is then min-max normalised to [0, 1]; absent classes are
    exactly 0, and a constant map becomes 0 (never NaN).

    Sizes that do not suit the network (e.g. not a multiple of a ViT patch
    size at some scale) are ``cam_fn``'s concern.

    Args:
        cam_fn: (B, 3, h, w) -> (B, K, h', w') non-negative class maps.
        images: (B, 3, H, W), the scale-1.0 input.
        labels: (B, K) multi-hot image-level labels (> 0.5 means present).
        scales: resize factors, each run once plain and once mirrored.
        flip: also run the horizontally mirrored view of every scale.

    Returns:
        (B, K, H, W) CAMs in [0, 1], dtype of ``images``.
    """
    if images.dim() != 4:
        raise ValueError(f'images must be (B, 3, H, W), got shape '
                         f'{tuple(images.shape)}')
    if labels.dim() != 2 or labels.shape[0] != images.shape[0]:
        raise ValueError(f'labels must be (B, K) with B = {images.shape[0]} '
                         f'(the images), got shape {tuple(labels.shape)}')
    if not scales:
        raise ValueError('scales must name at least one scale, got '
                         f'{scales!r}')
    size = tuple(images.shape[-2:])
    present = (labels > 0.5).to(images.dtype)[:, :, None, None]
    total = None
    for scale in scales:
        if scale == 1.0:
            view = images
        else:
            view = F.interpolate(
                images,
                size=(round(size[0] * scale), round(size[1] * scale)),
                mode='bilinear',
                align_corners=False)
        for mirrored in ((False, True) if flip else (False, )):
            raw = cam_fn(view.flip(-1) if mirrored else view)
            if raw.dim() != 4 or raw.shape[:2] != labels.shape:
                raise ValueError(
                    f'cam_fn returned shape {tuple(raw.shape)} at scale '
                    f'{scale}; expected (B, K, h, w) with (B, K) = '
                    f'{tuple(labels.shape)} (the labels)')
            cams = F.interpolate(
                raw, size=size, mode='bilinear', align_corners=False)
            cams = cams * present
            if mirrored:
                cams = cams.flip(-1)
            total = cams if total is None else total + cams
    flat = total.flatten(2)
    low = flat.amin(dim=2, keepdim=True)
    high = flat.amax(dim=2, keepdim=True)
    normalised = (flat - low) / (high - low).clamp_min(1e-5)
    return (normalised.view_as(total) * present).clamp_(0, 1)


def cams_to_label_map(cams: Tensor, bg_threshold: float) -> Tensor:
    """Seed label map: prepend a constant background map, take the argmax.

    Args:
        cams: (B, K, H, W) class maps (normally in [0, 1]).
        bg_threshold: the constant background score t.

    Returns:
        (B, H, W) long: 0 background (every CAM <= t; ties go to the
        background), k + 1 for class k.
    """
    if cams.dim() != 4:
        raise ValueError(f'cams must be (B, K, H, W), got shape '
                         f'{tuple(cams.shape)}')
    background = cams.new_full((cams.shape[0], 1, *cams.shape[2:]),
                               bg_threshold)
    return torch.cat([background, cams], dim=1).argmax(dim=1)
