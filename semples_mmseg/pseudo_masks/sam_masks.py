"""SAM's automatic masks as FMA-WSSS makes them: level-aware, then filtered.

SAM answers every point prompt with three masks, its levels 0, 1, 2 (FMA
calls them sub-part, part and whole; SAM does not promise that order).
:class:`LevelAwareMaskGenerator` is ``segment_anything``'s
``SamAutomaticMaskGenerator`` with FMA's changes:

* each mask keeps its level;
* the predicted-IoU filter compares ``iou + level_iou_offsets[level]`` with
  ``pred_iou_thresh`` (FMA: +0.1 for whole masks, so they pass at 0.76);
* the within-crop box NMS ranks by ``iou + level_nms_offsets[level]``
  (FMA: +1 for whole masks: they win de-duplication);
* after SAM's small-region clean-up, :func:`rock_sand_water` keeps a mask
  of a lower level only if it mostly lies outside the masks already kept.

The defaults are FMA's VOC / COCO settings (pattern ``l2_nmsf_s1_rsw3``):
32 points per side, IoU 0.86, stability 0.92, one crop layer with 16 x 16
points per crop, regions under 100 pixels removed, rock-sand-water 0.3.
FMA runs them with SAM ViT-H (``sam_checkpoint.build_sam``).
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from segment_anything import SamAutomaticMaskGenerator
from segment_anything.modeling import Sam
from segment_anything.utils.amg import (MaskData, area_from_rle,
                                        batched_mask_to_box, box_xyxy_to_xywh,
                                        calculate_stability_score,
                                        coco_encode_rle,
                                        is_box_near_crop_edge,
                                        mask_to_rle_pytorch, rle_to_mask,
                                        uncrop_masks)
from torch import Tensor

PIXEL_CHUNK = 1 << 14  # pixels per step of the intersection counts


def intersection_areas(first: Tensor, second: Tensor, *,
                       pixel_chunk: int = PIXEL_CHUNK) -> Tensor:
    """|first_i & second_j| for (N1, H, W) and (N2, H, W) bool masks.

    Counted as a matrix product over blocks of ``pixel_chunk`` pixels, so
    memory is (N1 + N2) * pixel_chunk floats, never N1 * N2 * H * W.

    Returns:
        (N1, N2) int64 on ``first``'s device.
    """
    a, b = first.flatten(1), second.flatten(1)
    counts = torch.zeros((len(a), len(b)), dtype=torch.int64,
                         device=a.device)
    for start in range(0, a.shape[1], pixel_chunk):
        block = slice(start, start + pixel_chunk)
        # float32 counts are exact below 2 ** 24 pixels per block
        counts += (a[:, block].float() @ b[:, block].float().T).long()
    return counts


def rock_sand_water(masks: Tensor, levels: Tensor, *, threshold: float,
                    pixel_chunk: int = PIXEL_CHUNK) -> Tensor:
    """FMA's rock-sand-water filter: which masks to keep, level by level.

    All masks of the highest level are kept; then, level by level
    downwards, a mask is kept if the largest share of it that lies inside
    any one mask kept so far, max_r |m & r| / |m|, is below ``threshold``
    (FMA: 0.3). While nothing is kept yet, a level is kept whole. Empty
    masks are dropped.

    Args:
        masks: (S, H, W) bool.
        levels: (S,) int.

    Returns:
        (S,) bool keep flags on ``masks``' device.
    """
    levels = torch.as_tensor(levels, device=masks.device)
    area = masks.flatten(1).sum(1)
    keep = torch.zeros(len(masks), dtype=torch.bool, device=masks.device)
    for level in levels.unique().flip(0).tolist():
        members = ((levels == level) & (area > 0)).nonzero().squeeze(1)
        if not keep.any():
            keep[members] = True
            continue
        if not len(members):
            continue
        inside = intersection_areas(masks[members], masks[keep],
                                    pixel_chunk=pixel_chunk)
        recall = inside.amax(1).double() / area[members]
        keep[members[recall < threshold]] = True
    return keep


class LevelAwareMaskGenerator(SamAutomaticMaskGenerator):
    """SAM automatic masks with levels, level offsets and rock-sand-water.

    Args:
        model: a ``segment_anything`` ``Sam``.
        level_iou_offsets: added to the predicted IoU of a level-0/1/2 mask
            before the ``pred_iou_thresh`` filter.
        level_nms_offsets: added to the predicted IoU of a level-0/1/2 mask
            to rank it in the within-crop box NMS.
        rock_sand_water_thresh: see :func:`rock_sand_water` (None: off).
        pixel_chunk: pixels per step of its intersection counts.
        The rest: ``SamAutomaticMaskGenerator``'s, with FMA's values.

    ``generate(image)`` takes an (H, W, 3) uint8 RGB image and returns the
    parent's records, each with its ``level`` added.
    """

    def __init__(self,
                 *,
                 model: Sam,
                 points_per_side: Optional[int] = 32,
                 points_per_batch: int = 64,
                 pred_iou_thresh: float = 0.86,
                 stability_score_thresh: float = 0.92,
                 stability_score_offset: float = 1.0,
                 box_nms_thresh: float = 0.7,
                 crop_n_layers: int = 1,
                 crop_nms_thresh: float = 0.7,
                 crop_overlap_ratio: float = 512 / 1500,
                 crop_n_points_downscale_factor: int = 2,
                 point_grids: Optional[List[np.ndarray]] = None,
                 min_mask_region_area: int = 100,
                 output_mode: str = 'binary_mask',
                 level_iou_offsets: Sequence[float] = (0.0, 0.0, 0.1),
                 level_nms_offsets: Sequence[float] = (0.0, 0.0, 1.0),
                 rock_sand_water_thresh: Optional[float] = 0.3,
                 pixel_chunk: int = PIXEL_CHUNK) -> None:
        super().__init__(
            model,
            points_per_side=points_per_side,
            points_per_batch=points_per_batch,
            pred_iou_thresh=pred_iou_thresh,
            stability_score_thresh=stability_score_thresh,
            stability_score_offset=stability_score_offset,
            box_nms_thresh=box_nms_thresh,
            crop_n_layers=crop_n_layers,
            crop_nms_thresh=crop_nms_thresh,
            crop_overlap_ratio=crop_overlap_ratio,
            crop_n_points_downscale_factor=crop_n_points_downscale_factor,
            point_grids=point_grids,
            min_mask_region_area=min_mask_region_area,
            output_mode=output_mode)
        for name, offsets in (('level_iou_offsets', level_iou_offsets),
                              ('level_nms_offsets', level_nms_offsets)):
            if len(offsets) != 3:
                raise ValueError(f'{name} needs one value per SAM level '
                                 f'(3), got {tuple(offsets)}')
        self.level_iou_offsets = torch.tensor(level_iou_offsets)
        self.level_nms_offsets = torch.tensor(level_nms_offsets)
        self.rock_sand_water_thresh = rock_sand_water_thresh
        self.pixel_chunk = pixel_chunk

    def _process_batch(self, points: np.ndarray, im_size: Tuple[int, ...],
                       crop_box: List[int],
                       orig_size: Tuple[int, ...]) -> MaskData:
        """The parent's step for one batch of point prompts, level-aware.

        ``iou_preds`` holds the NMS score (predicted IoU + level offset):
        the parent's within-crop NMS ranks by that key. The model's own
        estimate travels as ``predicted_iou``.
        """
        orig_h, orig_w = orig_size
        coords = self.predictor.transform.apply_coords(points, im_size)
        prompts = torch.as_tensor(coords, device=self.predictor.device)
        logits, iou, _ = self.predictor.predict_torch(
            prompts[:, None, :],
            torch.ones((len(prompts), 1), dtype=torch.int,
                       device=prompts.device),
            multimask_output=True,
            return_logits=True)
        level = torch.arange(iou.shape[1], device=iou.device).expand_as(iou)
        iou_offsets = self.level_iou_offsets.to(iou.device)[level]
        nms_offsets = self.level_nms_offsets.to(iou.device)[level]
        data = MaskData(
            masks=logits.flatten(0, 1),
            predicted_iou=iou.flatten(),
            iou_preds=(iou + nms_offsets).flatten(),
            filter_score=(iou + iou_offsets).flatten(),
            level=level.flatten(),
            points=torch.as_tensor(points.repeat(iou.shape[1], axis=0)))
        del logits
        if self.pred_iou_thresh > 0.0:
            data.filter(data['filter_score'] > self.pred_iou_thresh)
        del data['filter_score']

        threshold = self.predictor.model.mask_threshold
        data['stability_score'] = calculate_stability_score(
            data['masks'], threshold, self.stability_score_offset)
        if self.stability_score_thresh > 0.0:
            data.filter(data['stability_score'] >= self.stability_score_thresh)

        data['masks'] = data['masks'] > threshold
        data['boxes'] = batched_mask_to_box(data['masks'])
        inside = ~is_box_near_crop_edge(data['boxes'], crop_box,
                                        [0, 0, orig_w, orig_h])
        if not torch.all(inside):
            data.filter(inside)
        data['rles'] = mask_to_rle_pytorch(
            uncrop_masks(data['masks'], crop_box, orig_h, orig_w))
        del data['masks']
        return data

    def _process_crop(self, image: np.ndarray, crop_box: List[int],
                      crop_layer_idx: int,
                      orig_size: Tuple[int, ...]) -> MaskData:
        data = super()._process_crop(image, crop_box, crop_layer_idx,
                                     orig_size)
        # a crop without masks gets crop boxes of shape (0,), which breaks
        # the parent's cross-crop NMS when no crop has any mask
        data['crop_boxes'] = data['crop_boxes'].reshape(-1, 4)
        return data

    @torch.no_grad()
    def generate(self, image: np.ndarray) -> List[Dict[str, Any]]:
        """The parent's mask records for an (H, W, 3) uint8 RGB image, after
        rock-sand-water, each with its ``level``."""
        data = self._generate_masks(image)
        if self.min_mask_region_area > 0:
            data = self.postprocess_small_regions(
                data, self.min_mask_region_area,
                max(self.box_nms_thresh, self.crop_nms_thresh))
        masks = [rle_to_mask(rle) for rle in data['rles']]
        if self.rock_sand_water_thresh is not None and masks:
            keep = rock_sand_water(
                torch.as_tensor(np.stack(masks),
                                device=self.predictor.device),
                torch.as_tensor(data['level']),
                threshold=self.rock_sand_water_thresh,
                pixel_chunk=self.pixel_chunk).cpu()
            data.filter(keep)
            masks = [m for m, k in zip(masks, keep.tolist()) if k]
        encode = dict(binary_mask=lambda i: masks[i],
                      uncompressed_rle=lambda i: data['rles'][i],
                      coco_rle=lambda i: coco_encode_rle(data['rles'][i]))
        segmentation = encode[self.output_mode]
        return [
            dict(segmentation=segmentation(i),
                 area=area_from_rle(data['rles'][i]),
                 bbox=box_xyxy_to_xywh(data['boxes'][i]).tolist(),
                 predicted_iou=float(data['predicted_iou'][i]),
                 point_coords=[data['points'][i].tolist()],
                 stability_score=float(data['stability_score'][i]),
                 crop_box=box_xyxy_to_xywh(data['crop_boxes'][i]).tolist(),
                 level=int(data['level'][i]))
            for i in range(len(data['rles']))
        ]
