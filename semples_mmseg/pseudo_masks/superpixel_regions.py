"""Multi-level SLIC superpixels: a region source for seeding without SAM.

Where SAM cannot run (a CPU machine, the co-occurrence world's small
images), :func:`slic_regions` gives :func:`~.sam_seeding.sam_seeds` the same
kind of input: scikit-image's SLIC at several scales, one level per scale.
These are superpixels, not SAM masks: each level tiles the whole image, so
in seeding the highest level (painted last) decides every pixel and the
other levels enter only the per-class min-max across masks. The default
puts the coarsest scale on top, as SAM's whole-object level is; reverse
``n_segments`` to let the finest decide.
"""
from typing import Sequence

import numpy as np

from .region_masks_io import RegionMasks


def slic_regions(image: np.ndarray,
                 *,
                 n_segments: Sequence[int] = (400, 100, 25),
                 compactness: float = 10.0,
                 sigma: float = 1.0) -> RegionMasks:
    """SLIC superpixels of ``image`` at each scale, scale i as level i.

    Args:
        image: (H, W, 3) uint8 RGB.
        n_segments: SLIC's approximate superpixel count per level (level 0
            first); the defaults go from fine to coarse.
        compactness, sigma: SLIC's, the same at every level.

    Returns:
        :class:`RegionMasks` with one mask per superpixel (scores 1).
    """
    from skimage.segmentation import slic  # the 'superpixels' extra
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3), got {image.shape}')
    masks, levels = [], []
    for level, count in enumerate(n_segments):
        segments = slic(image, n_segments=int(count), compactness=compactness,
                        sigma=sigma, start_label=0, channel_axis=-1)
        ids = np.unique(segments)
        masks.append(segments[None] == ids[:, None, None])
        levels += [level] * len(ids)
    return RegionMasks.from_masks(np.concatenate(masks), levels)
