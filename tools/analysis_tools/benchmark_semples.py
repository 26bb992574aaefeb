"""Where a SemPLeS training step spends its time.

    python tools/analysis_tools/benchmark_semples.py CONFIG --stage 1 \
        --batch-size 8 --iters 5

Builds the config's model with random weights at its real shapes (ViT-B/32,
DeiT-S: no weight files needed), feeds synthetic 224 x 224 batches with 1-3
labels per image, and runs full training steps (forward, backward, optimizer
step) of the chosen stage. Prints the median step time, the share of the step
spent in the CLIP image encoder and in the CLIP text encoder (forward and
backward, measured with autograd hooks), the number of pairs P and the peak
memory. All numbers come from one run on this machine; compare ratios, not
absolute times, across machines.
"""
import argparse
import resource
import statistics
import time
from contextlib import contextmanager
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.engine.loops.semples_train_loop import STAGE_DEFAULTS


class Timer:
    """Accumulates forward and backward seconds of one wrapped function."""

    def __init__(self, sync) -> None:
        self.sync = sync
        self.seconds = 0.0
        self._backward_start: List[float] = []

    def wrap(self, fn):

        def timed(*args, **kwargs):
            self.sync()
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            self.sync()
            self.seconds += time.perf_counter() - start
            grad_inputs = [
                a for a in args
                if isinstance(a, torch.Tensor) and a.requires_grad
            ]
            if out.requires_grad and grad_inputs:
                out.register_hook(self._start_backward)
                grad_inputs[0].register_hook(self._end_backward)
            return out

        return timed

    def _start_backward(self, grad):
        self.sync()
        self._backward_start.append(time.perf_counter())

    def _end_backward(self, grad):
        self.sync()
        if self._backward_start:
            self.seconds += time.perf_counter() - self._backward_start.pop()


def synthetic_batch(batch: int, num_classes: int, size: int, device,
                    rng: np.random.Generator):
    inputs = torch.randn(batch, 3, size, size, device=device)
    samples = []
    for _ in range(batch):
        labels = np.zeros(num_classes, np.float32)
        labels[rng.choice(num_classes, rng.integers(1, 4), replace=False)] = 1
        samples.append(SegDataSample(metainfo=dict(img_labels=labels)))
    return inputs, samples


def stage_spec(cfg: Config, stage: int) -> Dict:
    for spec in cfg.get('train_cfg', {}).get('stages', []):
        if spec['stage'] == stage:
            return dict(STAGE_DEFAULTS[stage], **spec)
    return dict(STAGE_DEFAULTS[stage])


def main():
    parser = argparse.ArgumentParser(description='SemPLeS step benchmark')
    parser.add_argument('config')
    parser.add_argument('--stage', type=int, choices=(1, 2, 3), default=1)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)
    # real shapes, random weights: building reads no weight file (the CAM
    # network's is read by init_weights(), never called here) and CLIP
    # builds on first use from pretrained=None
    if cfg.model.get('clip_guide'):
        cfg.model.clip_guide.pretrained = None
    model = MODELS.build(cfg.model).to(args.device)
    model.train()
    spec = stage_spec(cfg, args.stage)
    model.set_stage(losses=spec['losses'], mask_eps=spec['mask_eps'])
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    for group in optim.optimizer.param_groups:
        group['lr'] = spec['lr'].get(group.get('name'), 0.0)

    cuda = args.device.startswith('cuda')
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    guide = model.clip_guide
    image_timer, text_timer = Timer(sync), Timer(sync)
    guide.encode_images = image_timer.wrap(guide.encode_images)
    guide.encode_token_embeddings = text_timer.wrap(
        guide.encode_token_embeddings)
    original_texts = guide.encode_texts
    guide.encode_texts = text_timer.wrap(original_texts)

    rng = np.random.default_rng(0)
    k = model.cam_net.num_classes
    steps, image_share, text_share, pairs = [], [], [], []
    for i in range(args.warmup + args.iters):
        inputs, samples = synthetic_batch(args.batch_size, k, args.size,
                                          args.device, rng)
        image_timer.seconds = text_timer.seconds = 0.0
        sync()
        start = time.perf_counter()
        losses = model.loss(inputs, samples)
        loss, _ = model.parse_losses(losses)
        optim.update_params(loss)
        sync()
        step = time.perf_counter() - start
        if i >= args.warmup:
            steps.append(step)
            image_share.append(image_timer.seconds / step)
            text_share.append(text_timer.seconds / step)
            pairs.append(sum(int(s.metainfo['img_labels'].sum())
                             for s in samples))
    if cuda:
        peak = f'{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB (CUDA)'
    else:
        peak = (f'{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}'
                ' MiB (process peak RSS)')
    print(f'| config | stage | batch | pairs P (mean) | median step s | '
          'CLIP image encoder | CLIP text encoder | peak memory |')
    print('|---|---|---|---|---|---|---|---|')
    print(f'| {args.config} | {args.stage} | {args.batch_size} | '
          f'{statistics.mean(pairs):.1f} | {statistics.median(steps):.3f} | '
          f'{100 * statistics.median(image_share):.1f}% | '
          f'{100 * statistics.median(text_share):.1f}% | {peak} |')


if __name__ == '__main__':
    main()
