"""The streaming passes: region files for images, seeds from regions + CAMs."""
import numpy as np
import pytest
from PIL import Image

from semples_mmseg.pseudo_masks.region_export import (pending_region_indices,
                                                      region_pass,
                                                      region_path)
from semples_mmseg.pseudo_masks.region_masks_io import (RegionMasks,
                                                        load_region_masks,
                                                        save_region_masks)
from semples_mmseg.pseudo_masks.seed_export import (SeedInput, read_cams,
                                                    seed_input_problems,
                                                    seed_pass)


def write_images(folder, n=4, size=(24, 32)):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = folder / f'img{i}.jpg'
        Image.fromarray(rng.integers(0, 256, size + (3, ),
                                     dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def grid_regions(image):
    """Two levels: the image's left / right halves (level 1) and its four
    quadrants (level 0)."""
    h, w = image.shape[:2]
    masks = np.zeros((6, h, w), bool)
    masks[0, :, :w // 2], masks[1, :, w // 2:] = True, True
    for k, (ys, xs) in enumerate([(slice(0, h // 2), slice(0, w // 2)),
                                  (slice(0, h // 2), slice(w // 2, w)),
                                  (slice(h // 2, h), slice(0, w // 2)),
                                  (slice(h // 2, h), slice(w // 2, w))]):
        masks[2 + k, ys, xs] = True
    return RegionMasks.from_masks(masks, [1, 1, 0, 0, 0, 0])


@pytest.mark.parametrize('workers', [0, 2])
def test_region_pass_writes_every_pending_image(tmp_path, workers):
    paths = write_images(tmp_path)
    out = tmp_path / 'regions'
    out.mkdir()
    counts = region_pass(grid_regions, paths, [0, 2, 3], out_dir=str(out),
                         workers=workers, progress=False)
    assert counts == dict(images=3, masks=18, images_without_masks=0)
    assert pending_region_indices(paths, str(out)) == [1]
    regions = load_region_masks(region_path(str(out), paths[2]))
    assert regions.image_size == (24, 32)
    assert regions.levels.tolist() == [1, 1, 0, 0, 0, 0]


def test_region_pass_names_the_image_that_failed(tmp_path):
    paths = write_images(tmp_path, n=2)

    def broken(image):
        raise RuntimeError('out of memory')

    with pytest.raises(RuntimeError, match='img0.jpg.*out of memory'):
        region_pass(broken, paths, [0, 1], out_dir=str(tmp_path),
                    progress=False)


def test_tiny_sam_regions_through_the_pass(tmp_path):
    pytest.importorskip('segment_anything')
    from fixtures.tiny_sam import tiny_sam
    from semples_mmseg.pseudo_masks.sam_masks import LevelAwareMaskGenerator
    generator = LevelAwareMaskGenerator(
        model=tiny_sam(64), points_per_side=2, pred_iou_thresh=0.0,
        stability_score_thresh=0.0, crop_n_layers=0, min_mask_region_area=0)
    paths = write_images(tmp_path, n=2)
    counts = region_pass(
        lambda image: RegionMasks.from_records(generator.generate(image),
                                               image.shape[:2]),
        paths, [0, 1], out_dir=str(tmp_path), progress=False)
    assert counts['images'] == 2
    for path in paths:
        regions = load_region_masks(region_path(str(tmp_path), path))
        assert regions.image_size == (24, 32)
        assert set(regions.levels.tolist()) <= {0, 1, 2}


def seed_setup(tmp_path, labels):
    """An image, its regions, its (K=3) dense CAMs: class 0 on the left
    half, class 2 on the bottom right quadrant."""
    paths = write_images(tmp_path, n=1)
    save_region_masks(grid_regions(np.zeros((24, 32, 3))),
                      str(tmp_path / 'img0.npz'))
    cams = np.zeros((3, 24, 32), np.float16)
    cams[0, :, :16] = 1.0
    cams[2, 12:, 16:] = 1.0
    np.save(tmp_path / 'img0.npy', cams)
    return SeedInput(img_path=paths[0], region_path=str(tmp_path / 'img0.npz'),
                     cam_path=str(tmp_path / 'img0.npy'),
                     labels=np.asarray(labels, np.float32))


def test_seed_pass_paints_the_labelled_classes(tmp_path):
    item = seed_setup(tmp_path, [1, 0, 1])
    out = tmp_path / 'seeds'
    out.mkdir()
    assert not seed_input_problems([item])
    counts = seed_pass([item], out_dir=str(out), gamma=2.0, progress=False)
    assert counts == dict(images=1, images_without_masks=0)
    seeds = np.array(Image.open(out / 'img0.png'))
    # the halves (level 1) decide: left is class 0 (label 1); the right half
    # has class 2 on half its pixels: mean 0.5, normalised 0.5 (the bottom
    # right quadrant has the max, 1), background 0.5 ** 2 = 0.25: label 3
    assert (seeds[:, :16] == 1).all() and (seeds[:, 16:] == 3).all()
    # with FMA's 0.7 the background wins there: 0.5 ** 0.7 = 0.62 > 0.5
    seed_pass([item], out_dir=str(out), gamma=0.7, progress=False)
    seeds = np.array(Image.open(out / 'img0.png'))
    assert (seeds[:, :16] == 1).all() and (seeds[:, 16:] == 0).all()


def test_an_image_without_masks_is_background_and_counted(tmp_path):
    item = seed_setup(tmp_path, [1, 0, 1])
    save_region_masks(RegionMasks.from_masks(np.zeros((0, 24, 32), bool), []),
                      item.region_path)
    counts = seed_pass([item], out_dir=str(tmp_path), gamma=0.7,
                       progress=False)
    assert counts['images_without_masks'] == 1
    assert not np.array(Image.open(tmp_path / 'img0.png')).any()


def test_cam_formats_give_the_same_classes(tmp_path):
    labels = np.array([1, 0, 1], np.float32)
    dense = np.random.default_rng(0).random((3, 4, 5)).astype(np.float32)
    np.save(tmp_path / 'dense.npy', dense)
    np.savez(tmp_path / 'fma.npz', cam=dense[[0, 2]], fg_cls=[0, 2])
    np.save(tmp_path / 'weaktr.npy', {0: dense[0], 2: dense[2]},
            allow_pickle=True)
    for name in ('dense.npy', 'fma.npz', 'weaktr.npy'):
        cams, classes = read_cams(str(tmp_path / name), labels)
        assert classes.tolist() == [1, 3], name
        np.testing.assert_array_equal(cams, dense[[0, 2]])
    with pytest.raises(ValueError, match=r'fma\.npz: CAM classes \[0, 2\]'):
        read_cams(str(tmp_path / 'fma.npz'), np.array([1, 1, 0]))
    with pytest.raises(ValueError, match=r'weaktr\.npy: CAM classes'):
        read_cams(str(tmp_path / 'weaktr.npy'), np.array([0, 0, 1]))


def test_every_bad_input_is_named_before_any_seed(tmp_path):
    item = seed_setup(tmp_path, [1, 0, 1])
    # masks made for another image size
    save_region_masks(grid_regions(np.zeros((20, 32, 3))), item.region_path)
    fma = tmp_path / 'other.npz'
    np.savez(fma, cam=np.zeros((1, 4, 4)), fg_cls=[1])  # labels are 0 and 2
    k_classes = tmp_path / 'k.npy'
    np.save(k_classes, np.zeros((20, 24, 32), np.float16))  # K = 20, not 3
    items = [
        item,
        SeedInput(item.img_path, item.region_path + '.absent', item.cam_path,
                  item.labels),
        SeedInput(item.img_path, str(tmp_path / 'fine.npz'), str(fma),
                  item.labels),
        SeedInput(item.img_path, str(tmp_path / 'fine.npz'), str(k_classes),
                  item.labels),
    ]
    save_region_masks(grid_regions(np.zeros((24, 32, 3))),
                      str(tmp_path / 'fine.npz'))
    problems = seed_input_problems(items)
    assert len(problems) == 4
    assert 'img0.npz: masks of size (20, 32)' in problems[0]
    assert 'img0.npz.absent: missing' in problems[1]
    assert 'other.npz: CAM classes [1]' in problems[2]
    assert 'k.npy: CAMs of shape (20, 24, 32)' in problems[3]


def test_cams_of_another_size_are_resized_to_the_image(tmp_path):
    item = seed_setup(tmp_path, [1, 0, 1])
    small = np.zeros((2, 12, 16), np.float32)
    small[0, :, :8] = 1.0
    small[1, 6:, 8:] = 1.0
    np.savez(tmp_path / 'img0.npz.cam.npz', cam=small, fg_cls=[0, 2])
    item.cam_path = str(tmp_path / 'img0.npz.cam.npz')
    seed_pass([item], out_dir=str(tmp_path), gamma=2.0, progress=False)
    seeds = np.array(Image.open(tmp_path / 'img0.png'))
    assert (seeds[:, :16] == 1).all() and (seeds[:, 16:] == 3).all()
