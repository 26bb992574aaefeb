"""SAM-based seeding: region masks take their class from CAMs.

FMA-WSSS's seeding rule ("SAMS"), for one image with P image-level classes
and S region masks (SAM's, or any regions with levels):

1. f[s, c] = mean of CAM_c (negative values as 0) over the pixels of mask s;
2. each class is min-max normalised across the image's masks:
   f[:, c] <- (f[:, c] - min_s f) / (max_s f - min_s f + 1e-7);
3. background score b[s] = (1 - max_c f[s, c]) ** gamma;
4. mask s takes the argmax of [b[s], f[s, 1..P]] (ties go to background):
   label 0 or the class's label value, confidence = the winning score;
5. masks are painted onto a zero map in ascending (level, confidence), so
   where masks overlap the higher level wins, then the higher confidence;
6. pixels no mask covers stay 0 (background); there is no ignore label.

The pixel-level min-max FMA applies before step 1 is a positive affine map
per class, which the mean keeps and step 2 removes: it is left out.
"""
import torch
from torch import Tensor

EPS = 1e-7


def sam_seeds(cams, classes, masks, levels, *, gamma: float) -> Tensor:
    """Label map of an image from its CAMs and region masks.

    Args:
        cams: (P, H, W) non-negative CAMs at image size of the P
            image-level classes (tensor or array; negatives count as 0).
        classes: (P,) the label value each class paints (e.g. VOC class
            index, 1..20).
        masks: (S, H, W) bool region masks.
        levels: (S,) int level of each mask (higher wins at overlaps).
        gamma: background exponent (FMA: VOC 0.6 coarse / 0.7 fine).

    Returns:
        (H, W) tensor of ``classes``' dtype on ``cams``' device: 0 where the
        background wins or no mask covers, else the winning class's value.
    """
    cams = torch.as_tensor(cams)
    device = cams.device
    classes = torch.as_tensor(classes, device=device)
    masks = torch.as_tensor(masks, device=device)
    levels = torch.as_tensor(levels, device=device)
    if cams.ndim != 3:
        raise ValueError(f'cams must be (P, H, W), got {tuple(cams.shape)}')
    num_classes, h, w = cams.shape
    if classes.shape != (num_classes, ):
        raise ValueError(f'classes must be ({num_classes},) like cams, got '
                         f'{tuple(classes.shape)}')
    if masks.dtype != torch.bool or masks.ndim != 3 \
            or masks.shape[1:] != (h, w):
        raise ValueError(f'masks must be (S, {h}, {w}) bool like cams, got '
                         f'{tuple(masks.shape)} {masks.dtype}')
    if levels.shape != masks.shape[:1]:
        raise ValueError(f'levels must be ({len(masks)},) like masks, got '
                         f'{tuple(levels.shape)}')
    label = torch.zeros((h, w), dtype=classes.dtype, device=device)
    flat = masks.reshape(len(masks), h * w)
    keep = flat.any(1)
    if not keep.any() or num_classes == 0:
        return label
    flat, levels = flat[keep], levels[keep]

    scores = mask_class_scores(cams, flat.view(-1, h, w), gamma=gamma)
    confidence, winner = scores.max(1)
    mask_labels = torch.cat([label.new_zeros(1), classes])[winner]

    # paint in ascending (level, confidence): the last covering mask in that
    # order wins a pixel, i.e. the first in descending order
    order = _stable_lexsort(confidence, levels).flip(0)
    covering = flat[order].view(torch.uint8)
    top = covering.argmax(0)  # the first covering mask (0 if none)
    covered = covering.gather(0, top[None]).squeeze(0).bool()
    painted = mask_labels[order][top]
    label.view(-1)[covered] = painted[covered]
    return label


def mask_class_scores(cams: Tensor, masks: Tensor, *,
                      gamma: float) -> Tensor:
    """Steps 1-3: each mask's background and class scores.

    Args:
        cams: (P, H, W) CAMs (negatives count as 0).
        masks: (S, H, W) bool, none empty.

    Returns:
        (S, 1 + P): [(1 - max_c f[s, c]) ** gamma, f[s, 1..P]] with f the
        per-mask mean CAM, min-max normalised per class across the masks.
    """
    flat = masks.flatten(1)
    values = cams.float().clamp(min=0).reshape(len(cams), -1)
    means = (flat.to(values.dtype) @ values.T) / flat.sum(1)[:, None]
    low, high = means.amin(0), means.amax(0)
    fg = (means - low) / (high - low + EPS)
    bg = (1 - fg.amax(1)).pow(gamma)
    return torch.cat([bg[:, None], fg], 1)


def _stable_lexsort(minor: Tensor, major: Tensor) -> Tensor:
    """Indices sorting by ``major`` then ``minor``, ascending, ties kept in
    input order."""
    order = torch.sort(minor, stable=True).indices
    return order[torch.sort(major[order], stable=True).indices]
