"""Scoring CAMs on the co-occurrence world: seed mIoU and home-scene false
positives, for the demo, the ablation runner and the prompt probe.

The false-positive rate of class c is measured where a synthetic world
alone can measure it: over the val images labelled with c, the GT
background pixels that show c's *home* scene (water for boat), the share the
seed labels as c. A CAM that has learned "water means boat" scores high.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from mmseg.registry import DATASETS, MODELS
from semples_mmseg.evaluation.cam_seed_metric import (CAMSeedMetric,
                                                      THRESHOLD_RULES,
                                                      select_threshold)
from semples_mmseg.models.segmentors.cam_inference import cams_to_label_map

from .world import HOME_SCENE, OBJECT_NAMES, sample_world_layouts

#: the VOC protocol's sweep starts here (reported beside the toy's sweep)
VOC_SWEEP_START = 0.40


def scene_map(layout, size: int) -> np.ndarray:
    """(S, S) scene index of every pixel of a world layout."""
    out = np.full((size, size), -1, np.int64)
    for (x0, y0, x1, y1), scene in layout.regions:
        out[int(round(y0 * size)):int(round(y1 * size)),
            int(round(x0 * size)):int(round(x1 * size))] = scene
    return out


def load_segmentor(config: str, ckpt: str, clip_path: Optional[str] = None):
    """The segmentor of ``config`` with ``ckpt``'s weights, in eval mode.

    The CAM network's initial weight file is not needed (the checkpoint
    holds its weights); ``clip_path`` replaces the config's CLIP weights.
    """
    cfg = Config.fromfile(config)
    cfg.model.cam_net.pretrained = None
    if cfg.model.get('clip_guide') and clip_path is not None:
        cfg.model.clip_guide.pretrained = clip_path
    model = MODELS.build(cfg.model)
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    model.load_state_dict(state.get('state_dict', state), strict=False)
    return model.eval()


def world_val_dataset(config: str, world: str,
                      indices: Optional[int] = None):
    """The val split of the world written in ``world`` (config's pipeline;
    its first ``indices`` images when given)."""
    cfg = Config.fromfile(config)
    extra = {} if indices is None else dict(indices=indices)
    return DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=world,
                               **extra))


def val_layouts(world_params: dict) -> List:
    """The layouts of a written world's val split (its scenes per pixel)."""
    return sample_world_layouts(
        world_params['num_val'], seed=world_params['seed'], split='val',
        cooccur_prob=world_params['cooccur_prob'])


def config_thresholds(config: str) -> np.ndarray:
    """The seed-threshold sweep of the config's ``val_evaluator``."""
    cfg = Config.fromfile(config)
    kwargs = {k: v for k, v in cfg.val_evaluator.items()
              if k in ('thresholds', 'threshold_range')}
    return CAMSeedMetric(**kwargs).thresholds


def predict_cams(model, dataset) -> List[torch.Tensor]:
    """(K, H, W) CAMs of every image of ``dataset`` (GT image labels)."""
    cams = []
    for i in range(len(dataset)):
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[i]]))[0]
        cams.append(sample.pred_cams.data.cpu())
    return cams


def miou_curve(cams: Sequence[torch.Tensor], dataset,
               thresholds: Sequence[float]) -> np.ndarray:
    """(T,) seed mIoU in percent at each background threshold."""
    metric = CAMSeedMetric(thresholds=thresholds)
    metric.dataset_meta = dataset.metainfo
    for i, c in enumerate(cams):
        gt = np.array(Image.open(dataset.get_data_info(i)['seg_map_path']))
        metric.process({}, [dict(pred_cams=dict(data=c),
                                 gt_sem_seg=dict(data=torch.from_numpy(
                                     gt[None].astype(np.int64))))])
    _, miou = metric.seed_curve(metric.results, len(dataset.metainfo[
        'classes']) - 1)
    return np.asarray(miou, np.float64)


def home_scene_fp(cams: Sequence[torch.Tensor], dataset, layouts,
                  threshold: float) -> np.ndarray:
    """(K,) percent of each class's home-scene background pixels (in images
    of the class) that the seed at ``threshold`` labels as the class."""
    k = len(OBJECT_NAMES)
    fp, total = np.zeros(k), np.zeros(k)
    for i, c in enumerate(cams):
        info = dataset.get_data_info(i)
        gt = np.array(Image.open(info['seg_map_path']))
        scenes = scene_map(layouts[i], gt.shape[0])
        pred = cams_to_label_map(c[None], threshold)[0].cpu().numpy()
        for cls in np.flatnonzero(info['img_labels']):
            region = (gt == 0) & (scenes == HOME_SCENE[cls])
            total[cls] += region.sum()
            fp[cls] += (region & (pred == cls + 1)).sum()
    with np.errstate(invalid='ignore', divide='ignore'):
        return fp / total * 100


def score_cams(cams: Sequence[torch.Tensor],
               dataset,
               layouts,
               thresholds: Sequence[float],
               threshold_rule: str = 'greedy') -> Dict:
    """Everything the tables report of one set of CAMs.

    Returns a JSON-able dict: ``miou`` and ``threshold`` of ``threshold_rule``;
    ``miou_greedy`` / ``threshold_greedy`` / ``miou_max`` /
    ``threshold_max``; ``miou_voc_sweep`` (best of the thresholds >= 0.40);
    ``fp`` (K,) home-scene false-positive percent at the selected threshold
    and ``fp_mean``, ``fp_greedy`` / ``fp_max`` at either rule's; ``curve`` (T,) and ``thresholds``.
    """
    if threshold_rule not in THRESHOLD_RULES:
        raise ValueError(
            f'threshold_rule must be one of {THRESHOLD_RULES}, got '
            f'{threshold_rule!r}')
    thresholds = np.asarray(thresholds, np.float64)
    curve = miou_curve(cams, dataset, thresholds)
    out = dict(curve=curve.tolist(),
               thresholds=thresholds.tolist(),
               threshold_rule=threshold_rule)
    for name in THRESHOLD_RULES:
        i = select_threshold(curve.tolist(), name)
        out[f'miou_{name}'] = float(curve[i])
        out[f'threshold_{name}'] = float(thresholds[i])
    out['miou'] = out[f'miou_{threshold_rule}']
    out['threshold'] = out[f'threshold_{threshold_rule}']
    voc = thresholds >= VOC_SWEEP_START - 1e-6
    out['miou_voc_sweep'] = (float(np.nanmax(curve[voc])) if voc.any()
                             else float('nan'))
    for name in THRESHOLD_RULES:
        fp = home_scene_fp(cams, dataset, layouts, out[f'threshold_{name}'])
        out[f'fp_{name}'] = fp.tolist()
    out['fp'] = out[f'fp_{threshold_rule}']
    out['fp_mean'] = float(np.nanmean(out['fp']))
    return out
