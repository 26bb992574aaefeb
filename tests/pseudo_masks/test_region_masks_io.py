"""The compact per-image region file, and SLIC regions as a SAM stand-in."""
import numpy as np
import pytest

from semples_mmseg.pseudo_masks.region_masks_io import (
    RegionMasks, load_region_masks, mask_boxes_xywh, region_file_complete,
    region_file_image_size, save_region_masks)


def random_regions(rng, s=5, h=13, w=17):
    return RegionMasks(
        masks=rng.random((s, h, w)) > 0.7,
        levels=rng.integers(0, 3, s),
        predicted_iou=rng.random(s),
        stability_score=rng.random(s),
        boxes=rng.integers(0, 10, (s, 4)))


def test_round_trip_is_exact_for_sizes_not_a_multiple_of_8(tmp_path):
    regions = random_regions(np.random.default_rng(0))  # 13 * 17 = 221 px
    path = str(tmp_path / 'a.npz')
    save_region_masks(regions, path)
    back = load_region_masks(path)
    assert back.image_size == (13, 17) and len(back) == 5
    assert np.array_equal(back.masks, regions.masks)
    assert back.levels.dtype == np.uint8
    for key in ('levels', 'predicted_iou', 'stability_score', 'boxes'):
        assert np.array_equal(getattr(back, key), getattr(regions, key))
    assert region_file_image_size(path) == (13, 17)
    assert region_file_complete(path)


def test_an_image_without_masks_round_trips(tmp_path):
    regions = RegionMasks.from_masks(np.zeros((0, 4, 6), bool), [])
    save_region_masks(regions, str(tmp_path / 'e.npz'))
    back = load_region_masks(str(tmp_path / 'e.npz'))
    assert back.masks.shape == (0, 4, 6) and back.boxes.shape == (0, 4)


def test_a_voc_sized_file_is_small(tmp_path):
    # 150 masks of a 375 x 500 image: 3.5 MB bit-packed, a few tens of kB
    # compressed when masks are regions (here: blocks of a grid)
    h, w = 375, 500
    ys, xs = np.mgrid[:h, :w]
    cells = (ys // 38) * 15 + xs // 34  # 10 x 15 = 150 cells
    masks = cells[None] == np.arange(150)[:, None, None]
    path = str(tmp_path / 'voc.npz')
    save_region_masks(RegionMasks.from_masks(masks, [0] * 150), path)
    assert (tmp_path / 'voc.npz').stat().st_size < 64 * 1024


def test_boxes_from_masks_follow_sam_s_xywh():
    masks = np.zeros((2, 5, 6), bool)
    masks[0, 1:3, 2:5] = True  # rows 1-2, cols 2-4
    assert mask_boxes_xywh(masks).tolist() == [[2, 1, 2, 1], [0, 0, 0, 0]]


def test_truncated_and_foreign_files_are_named(tmp_path):
    path = tmp_path / 'a.npz'
    save_region_masks(random_regions(np.random.default_rng(1)), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    assert not region_file_complete(str(path))
    assert not region_file_complete(str(tmp_path / 'missing.npz'))
    other = tmp_path / 'other.npz'
    np.savez(other, cam=np.zeros((1, 2, 2)))
    assert not region_file_complete(str(other))
    with pytest.raises(ValueError, match='other.npz'):
        load_region_masks(str(other))


def test_slic_regions_tile_the_image_at_every_level():
    pytest.importorskip('skimage')
    from semples_mmseg.pseudo_masks.superpixel_regions import slic_regions
    rng = np.random.default_rng(0)
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 30:] = 200  # two halves
    image += rng.integers(0, 8, image.shape, dtype=np.uint8)
    regions = slic_regions(image, n_segments=(24, 6, 2))
    assert regions.image_size == (40, 60)
    assert set(regions.levels.tolist()) == {0, 1, 2}
    for level in (0, 1, 2):
        cover = regions.masks[regions.levels == level].sum(0)
        assert (cover == 1).all()  # each level is a partition
    counts = np.bincount(regions.levels)
    assert counts[0] > counts[1] > counts[2] >= 2
    # the coarsest superpixels follow the edge between the halves
    for mask in regions.masks[regions.levels == 2]:
        assert not (mask[:, :30].any() and mask[:, 30:].any())
