"""The WeakTr route on the co-occurrence world, down to a trained
segmentation model: CAMs -> pseudo masks (threshold + WeakTr's CRF) -> a
small Segmenter trained on them with or without the gradient-clipping loss
-> mIoU on the world's val split with its real masks.

Each step is a function of its inputs; ``tools/weaktr_route.py`` runs them
as phases (``phase_records.py``) and writes the table.
"""
import functools
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

LOSSES = ('ce', 'gcd')
LOSS_TITLES = {'ce': 'plain CE', 'gcd': 'GCD'}
#: mmseg's CE over all pixels, ignored ones counted as 0: GCD with its gate
#: closed (the retraining config's loss is GCD)
PLAIN_CE = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                loss_name='loss_ce')


@dataclass(frozen=True)
class CamSource:
    """A CAM network of the demo: its config and checkpoint (under the
    demo's work folder)."""
    name: str
    title: str
    config: str
    checkpoint: str


def pseudo_masks(source: CamSource, *, world: str, from_dir: str,
                 out_dir: str, crf_preset: str,
                 threshold: Optional[float] = None) -> Dict:
    """Pseudo masks of the world's train split from ``source``'s CAMs.

    CAMs at the config's test scales and flips, masked by the image labels,
    thresholded at ``threshold`` (default: the config's
    ``test_cfg.bg_threshold``), refined by the dense CRF ``crf_preset`` over
    background and the image's classes, written as
    ``out_dir/{id}.png``; returns the scores of the masks against the
    world's real train masks (``score_masks``) with the threshold used.
    """
    from mmseg.registry import DATASETS
    from semples_mmseg.apis import load_segmentor
    from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels
    from semples_mmseg.pseudo_masks.export import (cam_pass, gt_pairs,
                                                   score_masks)
    cfg = Config.fromfile(source.config)
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset, data_root=world,
             ann_file='ImageSets/Segmentation/train.txt'))
    checkpoint = osp.join(from_dir, source.checkpoint)
    model = load_segmentor(cfg.model, checkpoint).eval()
    if threshold is None:
        threshold = float(model.test_cfg['bg_threshold'])
    os.makedirs(out_dir, exist_ok=True)
    cam_pass(model, dataset, list(range(len(dataset))), out_dir=out_dir,
             threshold=threshold,
             crf=functools.partial(crf_refine_labels, preset=crf_preset),
             progress=False)
    scores = score_masks(out_dir, gt_pairs(dataset),
                         dataset.metainfo['classes'])
    return dict(scores, threshold=threshold, crf_preset=crf_preset)


class GateCounter:
    """Counts the training steps whose gradient-clipping gate was open
    (``GradientClippingLoss.last_gate_open``), without a host sync per
    step."""

    def __init__(self, loss: torch.nn.Module) -> None:
        self.gates: List[torch.Tensor] = []
        self.means: List[torch.Tensor] = []
        self._handle = loss.register_forward_hook(self._record)

    def _record(self, module, args, output) -> None:
        self.gates.append(module.last_gate_open)
        self.means.append(module.last_mean)

    def summary(self) -> Dict:
        self._handle.remove()
        if not self.gates:
            return dict(steps=0, open_steps=0, first_open_step=None)
        gates = torch.stack(self.gates).cpu()
        means = torch.stack(self.means).float().cpu()
        opened = torch.nonzero(gates).flatten()
        return dict(
            steps=len(gates), open_steps=int(gates.sum()),
            first_open_step=int(opened[0]) + 1 if len(opened) else None,
            first_mean_ce=round(float(means[0]), 4),
            last_mean_ce=round(float(means[-1]), 4))


def encoder_from_cam_network(checkpoint: str, out_file: str) -> str:
    """The DeiT of a CAM checkpoint (``cam_net.backbone.*``) as an mmseg
    ``VisionTransformer`` weight file, converted by mmseg's ``vit2mmseg``;
    its K class tokens (1, K, C) and their K positions are averaged into
    the one class token of mmseg's ViT. Returns ``out_file``."""
    import importlib.util

    import mmseg
    converter = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                         'model_converters', 'vit2mmseg.py')
    spec = importlib.util.spec_from_file_location('vit2mmseg', converter)
    vit2mmseg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vit2mmseg)
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    state = state.get('state_dict', state)
    prefix = 'cam_net.backbone.'
    deit = {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix)}
    if 'cls_token' not in deit:
        raise ValueError(f'{checkpoint} has no {prefix}cls_token: not a '
                         'DeiT CAM network')
    tokens = deit['cls_token'].shape[1]
    pos = deit['pos_embed']
    deit['cls_token'] = deit['cls_token'].mean(1, keepdim=True)
    deit['pos_embed'] = torch.cat(
        [pos[:, :tokens].mean(1, keepdim=True), pos[:, tokens:]], dim=1)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.save(dict(state_dict=vit2mmseg.convert_vit(deit)), out_file)
    return out_file


#: the demo's CAM DeiT (configs/weaktr/toy_cooccur.py): 6 heads, its
#: blocks' LayerNorm eps, no final norm
CAM_ENCODER = dict(num_heads=6, final_norm=False,
                   norm_cfg=dict(type='LN', eps=1e-6))


def world_seg_config(config: str, *, world: str, mask_dir: str, loss: str,
                     seed: int, work_dir: str,
                     max_epochs: Optional[int] = None,
                     encoder_weights: Optional[str] = None) -> Config:
    """The world's retraining config with the data paths, the loss
    (``'ce'`` or ``'gcd'``), the seed and the work folder set;
    ``encoder_weights`` (``encoder_from_cam_network``'s file) starts the
    encoder from the CAM network's DeiT instead of random weights."""
    if loss not in LOSSES:
        raise ValueError(f'loss must be one of {LOSSES}, got {loss!r}')
    cfg = Config.fromfile(config)
    cfg.train_dataloader.dataset.data_root = world
    cfg.train_dataloader.dataset.data_prefix.seg_map_path = \
        osp.abspath(mask_dir)
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = world
    if loss == 'ce':
        cfg.model.decode_head.loss_decode = Config(PLAIN_CE).to_dict()
    if encoder_weights is not None:
        cfg.model.backbone.update(
            CAM_ENCODER,
            init_cfg=dict(type='Pretrained', checkpoint=encoder_weights))
    if max_epochs is not None:
        cfg.train_cfg.max_epochs = max_epochs
        cfg.param_scheduler[0].end = max_epochs
        cfg.default_hooks.checkpoint.interval = max_epochs
    # the model is tested once, after training (train_and_test)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def train_and_test(cfg: Config) -> Dict:
    """Train ``cfg`` (in this process), test the last model on the val
    split; returns its mIoU and per-class IoU and the GCD gate's record."""
    from mmengine.runner import Runner
    from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                      prepare_launch)
    prepare_launch(cfg, 'none')
    runner = Runner.from_cfg(cfg)
    loss = runner.model.decode_head.loss_decode
    counter = GateCounter(loss) if hasattr(loss, 'last_gate_open') else None
    runner.train()
    metrics = runner.test()
    finish_launch(runner)
    result = dict(mIoU=round(float(metrics['mIoU']), 2))
    if counter is not None:
        result['gate'] = counter.summary()
    return result


def write_json(path: str, value) -> None:
    with open(path + '.tmp', 'w') as f:
        json.dump(value, f, indent=1)
    os.replace(path + '.tmp', path)


#: Student's t 97.5% quantiles for 1..9 degrees of freedom
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262)


def mean_and_interval(values: Sequence[float]) -> str:
    """``mean`` of one value; ``mean +- half-width`` of the 95% t interval
    of 2 to 10 values (the mean and the values' range beyond that)."""
    import numpy as np
    values = np.asarray(values, float)
    if len(values) == 1:
        return f'{values[0]:.1f}'
    if len(values) > len(T_975) + 1:
        return f'{values.mean():.1f} ({values.min():.1f}-{values.max():.1f})'
    half = T_975[len(values) - 2] * values.std(ddof=1) / np.sqrt(len(values))
    return f'{values.mean():.1f} +- {half:.1f}'


def route_table(sources: Sequence[CamSource], masks: Dict[str, Dict],
                seg: Dict[str, Dict[str, List[float]]]) -> str:
    """Markdown: rows = CAM sources; columns = pseudo-mask mIoU on train,
    then the val mIoU of the Segmenter per loss (mean over seeds, with a
    95% interval when there are several)."""
    head = ['CAMs', 'threshold', 'pseudo-mask mIoU (train)'] + [
        f'Segmenter, {LOSS_TITLES[loss]} (val mIoU)' for loss in LOSSES]
    rows = ['| ' + ' | '.join(head) + ' |',
            '|' + '---|' * len(head)]
    for source in sources:
        cells = [source.title, f"{masks[source.name]['threshold']:.2f}",
                 f"{masks[source.name]['mIoU']:.1f}"]
        for loss in LOSSES:
            values = seg.get(source.name, {}).get(loss, [])
            cells.append(mean_and_interval(values) if values else '-')
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)
