"""Multi-scale + flip CAM inference (METHOD section 6)."""
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

    Each scale's image is resized (bilinear, align_corners=False); its maps
    are upsampled back to the scale-1.0 size, multiplied by the image-level
    labels, mirrored maps flipped back, and all summed. Each present class is
    then min-max normalised to [0, 1]; absent classes are exactly 0.

    Args:
        cam_fn: (B, 3, h, w) -> (B, K, h', w') non-negative class maps.
        images: (B, 3, H, W).
        labels: (B, K) multi-hot.

    Returns:
        (B, K, H, W) CAMs in [0, 1].
    """
    size = images.shape[-2:]
    mask = (labels > 0.5).to(images.dtype)[:, :, None, None]
    total = None
    for scale in scales:
        x = images if scale == 1.0 else F.interpolate(
            images,
            size=(round(size[0] * scale), round(size[1] * scale)),
            mode='bilinear',
            align_corners=False)
        views = [(x, False)] + ([(x.flip(-1), True)] if flip else [])
        for view, mirrored in views:
            cams = F.interpolate(
                cam_fn(view), size=size, mode='bilinear', align_corners=False)
            cams = cams * mask
            if mirrored:
                cams = cams.flip(-1)
            total = cams if total is None else total + cams
    flat = total.flatten(2)
    lo = flat.min(dim=2, keepdim=True)[0]
    hi = flat.max(dim=2, keepdim=True)[0]
    norm = (flat - lo) / (hi - lo).clamp_min(1e-5)
    return (norm.view_as(total) * mask).clamp_(0, 1)


def cams_to_label_map(cams: Tensor, bg_threshold: float) -> Tensor:
    """(B, H, W) labels: 0 where every CAM <= threshold, else 1 + argmax class.

    A constant background map is prepended before the argmax, so ties go to
    the background.
    """
    bg = cams.new_full((cams.shape[0], 1, *cams.shape[2:]), bg_threshold)
    return torch.cat([bg, cams], dim=1).argmax(dim=1)
