"""Resize by a random factor of the image's own size (IRNet's random_scale)."""
from typing import Tuple

import numpy as np

from mmseg.datasets.transforms import Resize
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRescale(Resize):
    """Image and maps resized by f ~ U(``ratio_range``) of their own size.

    mmcv's ``RandomResize`` draws a target relative to a fixed ``scale``;
    IRNet / CLIMS scale each training image by its own random factor
    (``misc/imutils.py random_scale``, 0.5-1.5): the image with Pillow
    bicubic by default, segmentation maps nearest, to
    ``(int(f W + 0.5), int(f H + 0.5))``.
    """

    def __init__(self,
                 *,
                 ratio_range: Tuple[float, float] = (0.5, 1.5),
                 interpolation: str = 'bicubic',
                 backend: str = 'pillow') -> None:
        super().__init__(scale_factor=1.0, keep_ratio=False,
                         interpolation=interpolation, backend=backend)
        low, high = ratio_range
        if not 0 < low <= high:
            raise ValueError(f'RandomRescale: ratio_range must be (low, high)'
                             f' with 0 < low <= high, got {ratio_range!r}')
        self.ratio_range = (float(low), float(high))

    def transform(self, results: dict) -> dict:
        ratio = float(np.random.uniform(*self.ratio_range))
        self.scale_factor = (ratio, ratio)
        return super().transform(results)
