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

Each mask is visited only over the rows it spans (one ``any`` pass over the
masks finds them), so the work follows the masks' extent, not S * H * W.
"""
import numpy as np

EPS = 1e-7


def sam_seeds(cams, classes, masks, levels, *, gamma: float) -> np.ndarray:
    """Label map of an image from its CAMs and region masks.

    Args:
        cams: (P, H, W) non-negative CAMs at image size of the P
            image-level classes (array or CPU tensor; negatives count as 0).
        classes: (P,) the label value each class paints (e.g. VOC class
            index, 1..20).
        masks: (S, H, W) bool region masks.
        levels: (S,) int level of each mask (higher wins at overlaps).
        gamma: background exponent (FMA: VOC 0.6 coarse / 0.7 fine).

    Returns:
        (H, W) array of ``classes``' dtype: 0 where the background wins or
        no mask covers, else the winning class's value.
    """
    cams = np.asarray(cams, np.float32)
    classes, levels = np.asarray(classes), np.asarray(levels)
    masks = np.asarray(masks)
    if cams.ndim != 3:
        raise ValueError(f'cams must be (P, H, W), got {cams.shape}')
    num_classes, h, w = cams.shape
    if classes.shape != (num_classes, ):
        raise ValueError(f'classes must be ({num_classes},) like cams, got '
                         f'{classes.shape}')
    if masks.dtype != bool or masks.ndim != 3 or masks.shape[1:] != (h, w):
        raise ValueError(f'masks must be (S, {h}, {w}) bool like cams, got '
                         f'{masks.shape} {masks.dtype}')
    if levels.shape != masks.shape[:1]:
        raise ValueError(f'levels must be ({len(masks)},) like masks, got '
                         f'{levels.shape}')
    label = np.zeros((h, w), classes.dtype)
    rows = masks.any(2)  # (S, H)
    present = np.flatnonzero(rows.any(1))  # empty masks take no part
    if not len(present) or not num_classes:
        return label
    spans = _row_spans(rows[present])

    scores = mask_class_scores(cams, masks[present], gamma=gamma, spans=spans)
    winner = scores.argmax(1)
    confidence = scores[np.arange(len(winner)), winner]
    mask_labels = np.concatenate([[0], classes]).astype(classes.dtype)[winner]
    # ascending (level, confidence), ties in input order: the last wins
    for i in np.lexsort((confidence, levels[present])):
        y0, y1 = spans[i]
        np.copyto(label[y0:y1], mask_labels[i],
                  where=masks[present[i], y0:y1])
    return label


def mask_class_scores(cams: np.ndarray, masks: np.ndarray, *, gamma: float,
                      spans=None) -> np.ndarray:
    """Steps 1-3: each mask's background and class scores.

    Args:
        cams: (P, H, W) CAMs (negatives count as 0).
        masks: (S, H, W) bool, none empty.
        spans: (S, 2) first and end row of each mask (computed if None).

    Returns:
        (S, 1 + P) float32: [(1 - max_c f[s, c]) ** gamma, f[s, 1..P]] with
        f the per-mask mean CAM, min-max normalised per class across masks.
    """
    cams = np.asarray(cams, np.float32)
    num_classes, _, w = cams.shape
    if spans is None:
        spans = _row_spans(masks.any(2))
    # the CAMs and a plane of ones: one product gives the sums and the area
    values = np.concatenate([np.maximum(cams, 0), np.ones_like(cams[:1])])
    sums = np.empty((len(masks), num_classes + 1), np.float32)
    for i, (y0, y1) in enumerate(spans):
        band = masks[i, y0:y1].reshape(-1).astype(np.float32)
        sums[i] = values[:, y0:y1].reshape(num_classes + 1, -1) @ band
    means = sums[:, :-1] / sums[:, -1:]
    low, high = means.min(0), means.max(0)
    fg = (means - low) / (high - low + np.float32(EPS))
    bg = np.power(1 - fg.max(1), np.float32(gamma))
    return np.concatenate([bg[:, None], fg], 1)


def _row_spans(rows: np.ndarray) -> np.ndarray:
    """(S, H) bool rows that hold mask pixels -> (S, 2) [first, end)."""
    first = rows.argmax(1)
    end = rows.shape[1] - rows[:, ::-1].argmax(1)
    return np.stack([first, end], 1)
