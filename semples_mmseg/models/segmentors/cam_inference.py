"""Multi-scale + flip CAM inference and seed label maps (METHOD section 6).

The segmentor's inference protocol (``SemPLeSSegmentor.predict_cams``).

Two protocols, chosen by the segmentor's ``test_cfg.protocol``; both read
the same views of the image:

- ``'weaktr'`` (WeakTr / SemPLeS, the default; hustvl/WeakTr
  ``generate_attention_maps_ms``): every view's maps are upsampled to the
  image size (bilinear), absent classes zeroed, mirrored maps flipped back,
  all summed; each present class is then min-max normalised as
  ``(F - min) / (max - min + 1e-8)``.
- ``'clims'`` (CLIMS / IRNet ``make_cam``): per scale, the maps of the view
  and of its mirror are summed at the network's resolution (the mirror's
  flipped back first), upsampled to the image size rounded up to a multiple
  of ``stride`` and summed over scales, then cropped to the image; each
  present class is divided by its maximum + 1e-5 (no minimum subtracted).

Views, as both references make them in their data loaders: the scale-1.0
view is the network input itself (the ImageNet-normalised RGB image); every
other view is the uint8 image recovered from it (``round(x * std +
mean)``), resized with PIL bicubic to ``(round(s * W), round(s * H))``
(Python ``round``) and normalised again (``view_resize='pil_bicubic'``).
Mirrored views are flips of the normalised view. ``view_resize='bilinear'``
keeps the earlier behaviour (``F.interpolate`` of the normalised tensor).

Very large images: when the largest view of an image would exceed
``max_view_pixels`` pixels, all its views are made as for the image scaled
by ``f = sqrt(max_view_pixels / largest view)`` (the scale ratios kept;
sizes floored so the cap holds), and their maps are upsampled to the full
image size as usual. Attention costs grow with the square of the pixel
count, so a 3000 x 2000 photo would otherwise ask a DeiT for a multi-GB
attention map. ``max_view_pixels=None`` disables the cap.
"""
import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

PROTOCOLS = ('weaktr', 'clims')
VIEW_RESIZES = ('pil_bicubic', 'bilinear')
#: the segmentor's own test_cfg keys, read by its predict (not by inference):
#: the background threshold and where the image-level labels come from
SEGMENTOR_KEYS = ('bg_threshold', 'labels', 'label_threshold')
#: default cap on a view's pixel count: 800 x 800. The largest VOC view
#: (500 x 500 at 1.2) has 360,000 pixels, the largest COCO one (640 x 640 at
#: 1.2) 589,824: neither is ever capped.
DEFAULT_MAX_VIEW_PIXELS = 800 * 800
MINMAX_EPS = 1e-8  # WeakTr: (F - min) / (max - min + 1e-8)
CLIMS_MAX_EPS = 1e-5  # CLIMS: F / (max + 1e-5)


@dataclass(frozen=True)
class CAMInferenceSettings:
    """How CAMs are inferred; the CAM keys of the segmentor's ``test_cfg``.

    Args:
        scales: resize factors of the views.
        flip: also run the mirrored view of every scale.
        protocol: ``'weaktr'`` or ``'clims'`` (module docstring).
        view_resize: ``'pil_bicubic'`` (the references) or ``'bilinear'``.
        max_view_pixels: cap on a view's pixel count (None: no cap).
        stride: ``'clims'`` only: maps are upsampled to the image size
            rounded up to a multiple of this (the network's output stride).
    """
    scales: Tuple[float, ...] = (1.0, )
    flip: bool = False
    protocol: str = 'weaktr'
    view_resize: str = 'pil_bicubic'
    max_view_pixels: Optional[int] = DEFAULT_MAX_VIEW_PIXELS
    stride: int = 16

    @classmethod
    def from_test_cfg(cls, test_cfg: dict) -> 'CAMInferenceSettings':
        """The CAM keys of a segmentor ``test_cfg``; a bad key or value is
        named."""
        fields = tuple(cls.__dataclass_fields__)
        unknown = set(test_cfg) - set(fields) - set(SEGMENTOR_KEYS)
        if unknown:
            raise ValueError(
                f'model.test_cfg: unknown key(s) {sorted(unknown)}')
        given = {k: test_cfg[k] for k in fields if k in test_cfg}
        for key, value in given.items():
            valid, what = _RULES[key]
            if not valid(value):
                raise ValueError(f'model.test_cfg.{key}={value!r}: not {what}')
        if 'scales' in given:
            given['scales'] = tuple(float(s) for s in given['scales'])
        return cls(**given)


def _positive_int(value, none_ok: bool = False) -> bool:
    return (value is None and none_ok) or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 1)


#: test_cfg key -> (check, what a valid value is)
_RULES = dict(
    scales=(lambda v: isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(s, (int, float)) and s > 0 for s in v),
            'a non-empty sequence of positive numbers'),
    flip=(lambda v: isinstance(v, bool), 'True or False'),
    protocol=(lambda v: v in PROTOCOLS, f'one of {PROTOCOLS}'),
    view_resize=(lambda v: v in VIEW_RESIZES, f'one of {VIEW_RESIZES}'),
    max_view_pixels=(lambda v: _positive_int(v, none_ok=True),
                     'a positive integer or None'),
    stride=(_positive_int, 'a positive integer'))


def view_sizes(height: int, width: int, scales: Sequence[float],
               max_view_pixels: Optional[int]) -> List[Tuple[int, int]]:
    """(h, w) of each scale's view: ``(round(s * H), round(s * W))``.

    If the largest would exceed ``max_view_pixels``, every view is sized for
    the image scaled by ``f`` (module docstring), floored, at least 1.
    """
    sizes = [(round(s * height), round(s * width)) for s in scales]
    largest = max(h * w for h, w in sizes)
    if max_view_pixels is None or largest <= max_view_pixels:
        return sizes
    factor = math.sqrt(max_view_pixels / (max(scales)**2 * height * width))
    return [(max(1, int(s * factor * height)), max(1, int(s * factor * width)))
            for s in scales]


def uint8_images(images: Tensor, mean: Tensor, std: Tensor) -> np.ndarray:
    """(B, 3, H, W) normalised -> (B, H, W, 3) uint8: ``round(x * std + mean)``
    (clamped to 0..255)."""
    pixels = images.detach().float() * std + mean
    return pixels.round_().clamp_(0, 255).to(torch.uint8).permute(
        0, 2, 3, 1).cpu().numpy()


def pil_bicubic_view(pixels: np.ndarray, size: Tuple[int, int], mean: Tensor,
                     std: Tensor, like: Tensor) -> Tensor:
    """(B, H, W, 3) uint8 -> PIL bicubic to ``size`` = (h, w), normalised:
    (B, 3, h, w) on the device and in the dtype of ``like``."""
    h, w = size
    resized = np.stack([
        np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC))
        for img in pixels
    ])
    view = torch.from_numpy(resized).to(like.device).permute(0, 3, 1, 2)
    return ((view.float() - mean) / std).to(like.dtype)


class ViewMaker:
    """The views of one batch: ``make(size)`` -> (B, 3, h, w) normalised."""

    def __init__(self, images: Tensor, *, view_resize: str,
                 mean: Optional[Tensor], std: Optional[Tensor]) -> None:
        self.images = images
        self.view_resize = view_resize
        shape = (1, -1, 1, 1)
        self.mean = None if mean is None else torch.as_tensor(
            mean, dtype=torch.float32, device=images.device).view(shape)
        self.std = None if std is None else torch.as_tensor(
            std, dtype=torch.float32, device=images.device).view(shape)
        self._pixels: Optional[np.ndarray] = None

    def make(self, size: Tuple[int, int]) -> Tensor:
        if tuple(size) == tuple(self.images.shape[-2:]):
            return self.images  # PIL's resize to the same size is a copy
        if self.view_resize == 'bilinear':
            return F.interpolate(
                self.images, size=size, mode='bilinear', align_corners=False)
        if self.mean is None or self.std is None:
            raise ValueError("view_resize='pil_bicubic' needs mean and std")
        if self._pixels is None:
            self._pixels = uint8_images(self.images, self.mean, self.std)
        return pil_bicubic_view(self._pixels, size, self.mean, self.std,
                                self.images)


def _check_inputs(images: Tensor, labels: Tensor,
                  scales: Sequence[float]) -> None:
    if images.dim() != 4 or labels.shape[:1] != images.shape[:1] or \
            labels.dim() != 2 or not scales:
        raise ValueError(f'images {tuple(images.shape)}, labels '
                         f'{tuple(labels.shape)}, scales {scales!r}: expected '
                         '(B, 3, H, W), (B, K), at least one scale')


def _run(cam_fn: Callable[[Tensor], Tensor], view: Tensor, labels: Tensor,
         scale: float, keep: Tensor) -> Tensor:
    """cam_fn on one view, shape-checked, present classes only, float32."""
    raw = cam_fn(view)
    if raw.dim() != 4 or raw.shape[:2] != labels.shape:
        raise ValueError(f'cam_fn gave {tuple(raw.shape)} at scale {scale}, '
                         f'not (B, K, h, w) with (B, K) {tuple(labels.shape)}')
    return raw[:, keep].float()


def _scatter(maps: Tensor, keep: Tensor, k: int) -> Tensor:
    """(B, k', H, W) maps of the kept classes -> (B, K, H, W), zeros else."""
    out = maps.new_zeros(maps.shape[0], k, *maps.shape[2:])
    out[:, keep] = maps
    return out


def multiscale_flip_cams(cam_fn: Callable[[Tensor], Tensor],
                         images: Tensor,
                         labels: Tensor,
                         *,
                         scales: Sequence[float] = (1.0, 1.2),
                         flip: bool = True,
                         view_resize: str = 'pil_bicubic',
                         mean: Optional[Tensor] = None,
                         std: Optional[Tensor] = None,
                         max_view_pixels: Optional[int] = None) -> Tensor:
    """The ``'weaktr'`` protocol: sum every view's maps, min-max per class.

    Args:
        cam_fn: (B, 3, h, w) -> (B, K, h', w') non-negative class maps.
        images: (B, 3, H, W), the scale-1.0 input (normalised with
            ``mean`` / ``std``, each broadcastable to (1, 3, 1, 1)).
        labels: (B, K) multi-hot image-level labels (> 0.5 means present).
        scales, flip, view_resize, max_view_pixels: see
            :class:`CAMInferenceSettings`.

    Returns:
        (B, K, H, W) float32 CAMs in [0, 1): each present class
        ``(F - min) / (max - min + 1e-8)``; absent classes exactly 0.
    """
    _check_inputs(images, labels, scales)
    height, width = images.shape[-2:]
    present = labels > 0.5
    keep = present.any(dim=0)  # classes present in some image of the batch
    if not keep.any():
        return images.new_zeros(labels.shape + (height, width),
                                dtype=torch.float32)
    views = ViewMaker(images, view_resize=view_resize, mean=mean, std=std)
    mask = present[:, keep, None, None].float()
    total = None
    for scale, size in zip(
            scales, view_sizes(height, width, scales, max_view_pixels)):
        view = views.make(size)
        for mirrored in ((False, True) if flip else (False, )):
            maps = _run(cam_fn, view.flip(-1) if mirrored else view, labels,
                        scale, keep)
            maps = F.interpolate(
                maps, size=(height, width), mode='bilinear',
                align_corners=False) * mask
            if mirrored:
                maps = maps.flip(-1)
            total = maps if total is None else total + maps
    flat = total.flatten(2)
    low = flat.amin(dim=2, keepdim=True)
    high = flat.amax(dim=2, keepdim=True)
    normalised = ((flat - low) / (high - low + MINMAX_EPS)).view_as(total)
    return _scatter(normalised * mask, keep, labels.shape[1])


def clims_multiscale_cams(cam_fn: Callable[[Tensor], Tensor],
                          images: Tensor,
                          labels: Tensor,
                          *,
                          scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                          flip: bool = True,
                          stride: int = 16,
                          view_resize: str = 'pil_bicubic',
                          mean: Optional[Tensor] = None,
                          std: Optional[Tensor] = None,
                          max_view_pixels: Optional[int] = None) -> Tensor:
    """The ``'clims'`` protocol (CLIMS / IRNet ``make_cam``, high-res CAM).

    Per scale: ``cam_fn(view) + cam_fn(mirror).flip(-1)`` at the network's
    resolution, upsampled (bilinear, align_corners=False) to
    ``(ceil(H / stride) * stride, ceil(W / stride) * stride)``; the sum over
    scales is cropped to (H, W), and each present class divided by its
    maximum + 1e-5.

    Returns:
        (B, K, H, W) float32 CAMs in [0, 1); absent classes exactly 0.
    """
    _check_inputs(images, labels, scales)
    height, width = images.shape[-2:]
    padded = (math.ceil(height / stride) * stride,
              math.ceil(width / stride) * stride)
    present = labels > 0.5
    keep = present.any(dim=0)
    if not keep.any():
        return images.new_zeros(labels.shape + (height, width),
                                dtype=torch.float32)
    views = ViewMaker(images, view_resize=view_resize, mean=mean, std=std)
    total = None
    for scale, size in zip(
            scales, view_sizes(height, width, scales, max_view_pixels)):
        view = views.make(size)
        maps = _run(cam_fn, view, labels, scale, keep)
        if flip:
            mirrored = _run(cam_fn, view.flip(-1), labels, scale, keep)
            assert mirrored.shape == maps.shape, (scale, mirrored.shape)
            maps = maps + mirrored.flip(-1)
        maps = F.interpolate(
            maps, size=padded, mode='bilinear', align_corners=False)
        total = maps if total is None else total + maps
    total = total[..., :height, :width] * present[:, keep, None, None]
    peak = total.flatten(2).amax(dim=2)[..., None, None]
    return _scatter(total / (peak + CLIMS_MAX_EPS), keep, labels.shape[1])


def infer_cams(cam_fn: Callable[[Tensor], Tensor], images: Tensor,
               labels: Tensor, settings: CAMInferenceSettings, *,
               mean: Optional[Tensor], std: Optional[Tensor]) -> Tensor:
    """(B, K, H, W) CAMs in [0, 1) by ``settings.protocol``."""
    common = dict(
        scales=settings.scales,
        flip=settings.flip,
        view_resize=settings.view_resize,
        mean=mean,
        std=std,
        max_view_pixels=settings.max_view_pixels)
    if settings.protocol == 'clims':
        return clims_multiscale_cams(
            cam_fn, images, labels, stride=settings.stride, **common)
    return multiscale_flip_cams(cam_fn, images, labels, **common)


def cams_with_background(cams: Tensor, bg_threshold: float) -> Tensor:
    """(B, K, H, W) CAMs -> (B, K + 1, H, W) scores, channel 0 the constant
    background score ``bg_threshold``."""
    background = cams.new_full((cams.shape[0], 1, *cams.shape[2:]),
                               bg_threshold)
    return torch.cat([background, cams], dim=1)


def cams_to_label_map(cams: Tensor, bg_threshold: float) -> Tensor:
    """Seed label map: (B, K, H, W) CAMs -> (B, H, W) long, the argmax of
    :func:`cams_with_background`: 0 background (every CAM <= t; ties go to
    the background), k + 1 for class k."""
    if cams.dim() != 4:
        raise ValueError(f'cams {tuple(cams.shape)}: not (B, K, H, W)')
    return cams_with_background(cams, bg_threshold).argmax(dim=1)
