"""RandomRescale: a random factor of the image's own size, maps nearest."""
import numpy as np
import pytest

from mmseg.registry import TRANSFORMS


def sample(height=40, width=60):
    seg = np.zeros((height, width), np.uint8)
    seg[:, width // 2:] = 7
    seg[:4] = 255
    return dict(img=np.full((height, width, 3), 100, np.uint8),
                gt_seg_map=seg, seg_fields=['gt_seg_map'])


def test_sizes_follow_the_drawn_factor_and_labels_stay_labels():
    rescale = TRANSFORMS.build(dict(type='RandomRescale',
                                    ratio_range=(0.5, 1.5)))
    np.random.seed(0)
    sizes = []
    for _ in range(20):
        out = rescale(sample())
        height, width = out['img'].shape[:2]
        sizes.append((height, width))
        assert 20 <= height <= 60 and 30 <= width <= 90
        assert abs(height / 40 - width / 60) <= 1 / 40  # one factor
        assert out['gt_seg_map'].shape == (height, width)
        assert set(np.unique(out['gt_seg_map'])) == {0, 7, 255}
    assert max(sizes)[0] - min(sizes)[0] > 20  # drawn, not fixed
    np.random.seed(0)
    assert rescale(sample())['img'].shape[:2] == sizes[0]


def test_bad_ratio_range_is_named():
    with pytest.raises(ValueError, match=r'\(1.5, 0.5\)'):
        TRANSFORMS.build(dict(type='RandomRescale', ratio_range=(1.5, 0.5)))
