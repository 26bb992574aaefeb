"""The level-aware generator: hand-made SAM outputs, then a tiny real SAM."""
import numpy as np
import pytest
import torch

pytest.importorskip('segment_anything')
from segment_anything.utils.amg import rle_to_mask  # noqa: E402
from fixtures.tiny_sam import tiny_sam  # noqa: E402

from semples_mmseg.pseudo_masks.region_masks_io import (  # noqa: E402
    RegionMasks, load_region_masks, save_region_masks)
from semples_mmseg.pseudo_masks.sam_masks import (  # noqa: E402
    LevelAwareMaskGenerator)

SIZE = 64


def box_logits(y0, y1, x0, x1):
    logits = torch.full((SIZE, SIZE), -10.0)
    logits[y0:y1, x0:x1] = 10.0
    return logits


def scripted(generator, outputs):
    """Make the predictor answer each point with hand-made (logits, iou):
    ``outputs`` lists per point the three levels' boxes and IoUs."""
    def predict_torch(point_coords, point_labels, multimask_output=True,
                      return_logits=False):
        assert multimask_output and return_logits
        logits = torch.stack([
            torch.stack([box_logits(*box) for box in boxes])
            for boxes, _ in outputs
        ])
        iou = torch.tensor([ious for _, ious in outputs])
        return logits, iou, None

    generator.predictor.predict_torch = predict_torch
    return generator


def hand_made_generator(**kwargs):
    settings = dict(
        model=tiny_sam(SIZE), points_per_side=None,
        point_grids=[np.array([[0.25, 0.25], [0.75, 0.75]])],
        crop_n_layers=0, stability_score_thresh=0.0,
        min_mask_region_area=0, rock_sand_water_thresh=None)
    settings.update(kwargs)
    return scripted(LevelAwareMaskGenerator(**settings), [
        # point 1: the same box at every level, IoU 0.80 everywhere
        ([(8, 40, 8, 40)] * 3, [0.80, 0.80, 0.80]),
        # point 2: a small part, then equal boxes at levels 1 and 2, the
        # level-1 mask with the higher IoU
        ([(48, 52, 48, 52), (44, 60, 44, 60), (44, 60, 44, 60)],
         [0.95, 0.96, 0.95]),
    ])


def test_iou_offset_lets_only_whole_masks_pass_at_0_80():
    records = hand_made_generator().generate(
        np.zeros((SIZE, SIZE, 3), np.uint8))
    by_box = {tuple(r['bbox']): r for r in records}
    # 0.80 + 0.1 > 0.86 at level 2 only; the model's own IoU is reported
    first = by_box[(8, 8, 31, 31)]
    assert first['level'] == 2
    assert first['predicted_iou'] == pytest.approx(0.80)
    assert sum(r['bbox'] == [8, 8, 31, 31] for r in records) == 1


def test_nms_offset_keeps_the_whole_level_of_equal_boxes():
    records = hand_made_generator().generate(
        np.zeros((SIZE, SIZE, 3), np.uint8))
    levels = sorted((tuple(r['bbox']), r['level']) for r in records)
    assert levels == [((8, 8, 31, 31), 2), ((44, 44, 15, 15), 2),
                      ((48, 48, 3, 3), 0)]


def test_without_offsets_sam_s_own_rules_apply():
    records = hand_made_generator(
        level_iou_offsets=(0, 0, 0), level_nms_offsets=(0, 0, 0)).generate(
            np.zeros((SIZE, SIZE, 3), np.uint8))
    levels = sorted((tuple(r['bbox']), r['level']) for r in records)
    # 0.80 fails 0.86 at every level; NMS keeps the higher IoU, level 1
    assert levels == [((44, 44, 15, 15), 1), ((48, 48, 3, 3), 0)]


def test_rock_sand_water_runs_after_the_clean_up():
    # the small level-0 part lies inside the kept whole box: dropped
    records = hand_made_generator(rock_sand_water_thresh=0.3).generate(
        np.zeros((SIZE, SIZE, 3), np.uint8))
    assert sorted(r['level'] for r in records) == [2, 2]


@pytest.mark.parametrize('crop_n_layers', [0, 1])
def test_an_image_without_any_mask_gives_no_record(crop_n_layers):
    grid = np.array([[0.25, 0.25], [0.75, 0.75]])
    generator = hand_made_generator(crop_n_layers=crop_n_layers,
                                    point_grids=[grid] * (crop_n_layers + 1))
    scripted(generator, [([(8, 40, 8, 40)] * 3, [0.1, 0.1, 0.1])] * 2)
    image = np.zeros((SIZE, SIZE, 3), np.uint8)
    assert generator.generate(image) == []
    regions = RegionMasks.from_records([], image.shape[:2])
    assert regions.masks.shape == (0, SIZE, SIZE)


def test_offsets_need_three_levels():
    with pytest.raises(ValueError, match='level_iou_offsets'):
        LevelAwareMaskGenerator(model=tiny_sam(SIZE),
                                level_iou_offsets=(0.1, 0.2))


@pytest.mark.parametrize('crop_n_layers', [0, 1])
def test_tiny_sam_through_the_generator_and_the_file(tmp_path,
                                                     crop_n_layers):
    image = np.random.default_rng(0).integers(0, 256, (SIZE, 48, 3),
                                              dtype=np.uint8)
    settings = dict(
        model=tiny_sam(SIZE), points_per_side=4, pred_iou_thresh=0.0,
        stability_score_thresh=0.0, box_nms_thresh=1.0,
        crop_n_layers=crop_n_layers, min_mask_region_area=0,
        rock_sand_water_thresh=None)
    rle_records = LevelAwareMaskGenerator(
        output_mode='uncompressed_rle', **settings).generate(image)
    assert rle_records
    for record in rle_records:
        assert record['level'] in (0, 1, 2)
        mask = rle_to_mask(record['segmentation'])
        assert mask.shape == (SIZE, 48)
        assert mask.sum() == record['area']

    records = LevelAwareMaskGenerator(**settings).generate(image)
    regions = RegionMasks.from_records(records, image.shape[:2])
    assert regions.masks.shape == (len(records), SIZE, 48)
    path = str(tmp_path / 'image.npz')
    save_region_masks(regions, path)
    back = load_region_masks(path)
    assert np.array_equal(back.masks, regions.masks)
    for key in ('levels', 'predicted_iou', 'stability_score', 'boxes'):
        assert np.array_equal(getattr(back, key), getattr(regions, key))
    assert back.levels.tolist() == [r['level'] for r in records]
