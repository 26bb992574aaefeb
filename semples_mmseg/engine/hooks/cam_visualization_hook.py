"""CAM overlays of a few fixed validation images at every evaluation."""
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from mmseg.registry import HOOKS


def overlay_label_map(image: np.ndarray, label_map: np.ndarray,
                      palette: Sequence[Sequence[int]],
                      alpha: float = 0.5) -> np.ndarray:
    """(H, W, 3) RGB image with a (H, W) label map blended in (255 left out)."""
    colours = np.asarray(palette, dtype=np.float32)
    valid = label_map != 255
    out = image.astype(np.float32)
    out[valid] = (1 - alpha) * out[valid] + alpha * colours[label_map[valid]]
    return out.astype(np.uint8)


def cam_panel(image: np.ndarray,
              cams: torch.Tensor,
              labels: np.ndarray,
              gt: Optional[np.ndarray] = None,
              palette: Optional[Sequence] = None,
              alpha: float = 0.5) -> np.ndarray:
    """One row: image | GT (if any) | one heat-map overlay per present class.

    Args:
        image: (H, W, 3) RGB uint8.
        cams: (K, H, W) CAMs in [0, 1].
        labels: (K,) multi-hot image labels.
    """
    tiles = [image]
    if gt is not None and palette is not None:
        tiles.append(overlay_label_map(image, gt, palette, alpha))
    for k in np.flatnonzero(labels > 0.5):
        tiles.append(
            Visualizer.draw_featmap(
                cams[k:k + 1].float().cpu(),
                image,
                channel_reduction=None,
                topk=0,
                alpha=alpha))
    return np.concatenate(tiles, axis=1)


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Writes image | GT | per-class CAM overlays after each evaluation.

    The images are the first ``num_images`` of the validation set (fixed, so
    the pictures of successive evaluations compare). They go through the
    runner's visualizer backends (``vis_data/vis_image`` with the default
    ``LocalVisBackend``; TensorBoard / W&B when configured), named
    ``cam_{image id}`` with the epoch as step. Works with any model whose
    prediction carries ``pred_cams`` (DESIGN.md).

    Args:
        num_images: how many validation images to draw.
        alpha: heat-map opacity.
    """

    priority = 'LOW'

    def __init__(self, *, num_images: int = 4, alpha: float = 0.5) -> None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        self.num_images = num_images
        self.alpha = alpha

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if runner.rank != 0:
            return
        dataset = runner.val_dataloader.dataset
        meta = getattr(dataset, 'metainfo', {}) or {}
        model = runner.model
        model.eval()
        for index in range(min(self.num_images, len(dataset))):
            with torch.no_grad():
                sample = model.val_step(pseudo_collate([dataset[index]]))[0]
            panel = self.render(sample, meta.get('palette'))
            name = sample.metainfo['img_path'].rsplit('/', 1)[-1]
            runner.visualizer.add_image(
                f"cam_{name.rsplit('.', 1)[0]}", panel, step=runner.epoch)

    def render(self, sample, palette: Optional[List]) -> np.ndarray:
        """The panel of one predicted data sample (RGB uint8)."""
        if 'pred_cams' not in sample:
            raise KeyError('CAMVisualizationHook needs predictions with '
                           "'pred_cams' (a SemPLeSSegmentor-style model); "
                           f'got fields {list(sample.keys())}')
        image = mmcv.imread(sample.metainfo['img_path'], channel_order='rgb')
        cams = sample.pred_cams.data
        if tuple(cams.shape[-2:]) != image.shape[:2]:
            raise ValueError(
                f"pred_cams of {sample.metainfo['img_path']} are "
                f'{tuple(cams.shape[-2:])}, image is {image.shape[:2]}')
        gt = None
        if 'gt_sem_seg' in sample:
            gt = sample.gt_sem_seg.data[0].cpu().numpy().astype(np.int64)
        return cam_panel(image, cams,
                         np.asarray(sample.metainfo['img_labels']), gt,
                         palette, self.alpha)
