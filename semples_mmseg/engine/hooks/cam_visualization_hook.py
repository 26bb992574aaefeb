"""CAM figures of a few fixed validation images at every evaluation."""
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...visualization import cam_figure


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Writes a labelled CAM figure per image after each evaluation.

    Columns: image | GT in the dataset palette | the CAM of each present
    class (its name on top), all on one 0-1 colour scale with a colour bar,
    so successive epochs and stages compare by strength. The images are the
    first ``num_images`` of the validation set (fixed). They go through the
    runner's visualizer backends (``vis_data/vis_image`` with the default
    ``LocalVisBackend``; TensorBoard / W&B when configured), named
    ``cam_{image id}`` with the epoch as step. Works with any model whose
    prediction carries ``pred_cams`` (DESIGN.md).

    Args:
        num_images: how many validation images to draw.
    """

    priority = 'LOW'

    def __init__(self, *, num_images: int = 4) -> None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        self.num_images = num_images

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
            panel = self.render(sample, meta, title=f'epoch {runner.epoch}')
            name = sample.metainfo['img_path'].rsplit('/', 1)[-1]
            runner.visualizer.add_image(
                f"cam_{name.rsplit('.', 1)[0]}", panel, step=runner.epoch)

    @staticmethod
    def class_names(meta: dict, k: int) -> Sequence[str]:
        names = meta.get('prompt_classes') or tuple(
            meta.get('classes', ()))[1:]
        return list(names) if len(names) == k else [
            f'class {i}' for i in range(k)]

    def render(self, sample, meta: Optional[dict],
               title: str = '') -> np.ndarray:
        """The figure of one predicted data sample (RGB uint8)."""
        meta = meta or {}
        if 'pred_cams' not in sample:
            raise KeyError('CAMVisualizationHook needs predictions with '
                           "'pred_cams' (a SemPLeSSegmentor-style model); "
                           f'got fields {list(sample.keys())}')
        image = mmcv.imread(sample.metainfo['img_path'], channel_order='rgb')
        cams = sample.pred_cams.data.float().cpu().numpy()
        if tuple(cams.shape[-2:]) != image.shape[:2]:
            raise ValueError(
                f"pred_cams of {sample.metainfo['img_path']} are "
                f'{tuple(cams.shape[-2:])}, image is {image.shape[:2]}')
        gt = None
        palette = meta.get('palette')
        if 'gt_sem_seg' in sample and palette is not None:
            gt = sample.gt_sem_seg.data[0].cpu().numpy().astype(np.int64)
        present = np.flatnonzero(np.asarray(sample.metainfo['img_labels'])
                                 > 0.5)
        name = sample.metainfo['img_path'].rsplit('/', 1)[-1]
        return cam_figure(image, gt, palette, self.class_names(meta,
                                                               len(cams)),
                          present, [('CAM', cams, 0., 1., 'jet')],
                          title=f'{name} {title}'.strip())
