"""The retraining step with the gradient-clipping loss against plain CE, and
the 12-view evaluation against one view.

    python tools/analysis_tools/benchmark_weaktr_retrain.py CONFIG \
        [--rounds 5] [--warmup 1] [--batch-size 4] [--image-size 375 500] \
        [--part both|train|eval] [--device cuda] [--cfg-options ...]

Builds the config's model with random weights at its real shapes (no weight
file is read). Training: full steps (forward, backward, optimizer step) on
synthetic crops of the data preprocessor's size with random labels (a
border of 255), once with the config's decode loss (GradientClippingLoss)
and once with mmseg's CrossEntropyLoss (the same plain CE over all pixels)
on the same model and batch, in interleaved rounds (the order alternates),
so a load change on a shared machine hits both alike; also the two losses
alone (forward + backward on the logits), whose difference over the
CE step gives the step ratio free of the step's own noise (on a busy
machine the direct step ratio varies by more than the loss costs).
Evaluation: one synthetic image of ``--image-size`` through the config's
test pipeline (one view) and through its ``tta_pipeline`` + ``tta_model``
(12 views, with and without the CRF), the pipelines run before the clock,
with the number of sliding windows each runs (the compute, whatever the
machine's load). Prints the medians and the per-round ratios GCD / CE and
12 views / 1 view, measured in this run; compare ratios, not absolute
times, across machines.
"""
import argparse
import os
import statistics
import tempfile
import time
from typing import Callable, Dict, List

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from PIL import Image

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.apis import load_config
from semples_mmseg.models.segmentors.weaktr_encoder_decoder import (
    raise_short_side, window_anchors)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--batch-size', type=int,
                        help="default: the config's train batch")
    parser.add_argument('--image-size', type=int, nargs=2,
                        default=(375, 500), metavar=('H', 'W'),
                        help='the evaluated image (default: a VOC photo)')
    parser.add_argument('--part', choices=['both', 'train', 'eval'],
                        default='both')
    parser.add_argument('--device',
                        default='cuda' if torch.cuda.is_available() else
                        'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def timed(fn: Callable, device: str) -> float:
    """Seconds of ``fn()``, the device synchronised around it."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved(runs: Dict[str, Callable], rounds: int, warmup: int,
                device: str) -> Dict[str, List[float]]:
    """Seconds per round of each run; the order alternates each round."""
    names = list(runs)
    for _ in range(warmup):
        for name in names:
            runs[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(timed(runs[name], device))
    return times


def ratio(times: Dict[str, List[float]], num: str, den: str) -> float:
    """Median of the per-round ratios ``num / den``."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def train_batch(cfg, batch_size: int, num_classes: int, device: str):
    h, w = cfg.model.data_preprocessor.size
    samples = []
    for _ in range(batch_size):
        labels = torch.randint(0, num_classes, (1, h, w))
        labels[..., :8, :] = 255  # some ignored pixels, as padding leaves
        sample = SegDataSample(metainfo=dict(img_shape=(h, w),
                                             ori_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=labels.to(device))
        samples.append(sample)
    inputs = [torch.randint(0, 256, (3, h, w), dtype=torch.uint8,
                            device=device) for _ in range(batch_size)]
    return dict(inputs=inputs, data_samples=samples)


def bench_train(cfg, model, args) -> List[str]:
    head = model.decode_head
    gcd = head.loss_decode
    ce = MODELS.build(dict(type='CrossEntropyLoss', avg_non_ignore=False,
                           loss_name=gcd.loss_name))
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    data = train_batch(cfg, batch_size, head.num_classes, args.device)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()

    def step(loss):
        def run():
            head.loss_decode = loss
            model.train_step(data, wrapper)
        return run

    steps = interleaved(dict(gcd=step(gcd), ce=step(ce)), args.rounds,
                        args.warmup, args.device)
    logits = torch.randn(batch_size, head.num_classes,
                         *cfg.model.data_preprocessor.size,
                         device=args.device, requires_grad=True)
    labels = torch.stack([s.gt_sem_seg.data[0] for s in data['data_samples']])

    def alone(loss):
        def run():
            loss(logits, labels, ignore_index=255).backward()
        return run

    losses = interleaved(dict(gcd=alone(gcd), ce=alone(ce)), args.rounds,
                         args.warmup, args.device)
    head.loss_decode = gcd
    med = {k: statistics.median(v) for k, v in steps.items()}
    lmed = {k: statistics.median(v) for k, v in losses.items()}
    derived = 1 + (lmed['gcd'] - lmed['ce']) / med['ce']
    crop = 'x'.join(map(str, cfg.model.data_preprocessor.size))
    return [
        f'| training step, plain CE (batch {batch_size}, crop {crop}) | '
        f"{med['ce']:.3f} s | 1.00x |",
        f'| training step, gradient-clipping loss | {med["gcd"]:.3f} s | '
        f"{ratio(steps, 'gcd', 'ce'):.3f}x |",
        f"| the loss alone (fwd + bwd), plain CE | {lmed['ce'] * 1e3:.2f} "
        'ms | 1.00x |',
        f'| the loss alone, gradient-clipping | {lmed["gcd"] * 1e3:.2f} ms '
        f"| {ratio(losses, 'gcd', 'ce'):.2f}x |",
        '| training step, gradient-clipping, from the loss alone: 1 + '
        f'(GCD - CE) / CE step | - | {derived:.3f}x |',
    ]


def count_windows(model, batch) -> int:
    """Sliding windows the segmentor runs over the views of ``batch``."""
    h_crop, w_crop = model.test_cfg.crop_size
    h_stride, w_stride = model.test_cfg.stride
    total = 0
    for item in batch['data_samples']:  # TTA batches: a tuple per view
        sample = item[0] if isinstance(item, (list, tuple)) else item
        h, w = raise_short_side(torch.empty(1, 1, *sample.img_shape),
                                min(h_crop, w_crop)).shape[-2:]
        total += len(window_anchors(h, h_crop, h_stride)) * len(
            window_anchors(w, w_crop, w_stride))
    return total


def bench_eval(cfg, model, args) -> List[str]:
    h, w = args.image_size
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        img_path, gt_path = os.path.join(tmp, 'a.jpg'), os.path.join(
            tmp, 'a.png')
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
            img_path)
        Image.fromarray(np.zeros((h, w), np.uint8)).save(gt_path)
        info = dict(img_path=img_path, seg_map_path=gt_path,
                    reduce_zero_label=False, seg_fields=[])
        one = pseudo_collate(
            [Compose(cfg.test_dataloader.dataset.pipeline)(dict(info))])
        views = pseudo_collate([Compose(cfg.tta_pipeline)(dict(info))])
        windows = (count_windows(model, one), count_windows(model, views))
        model.eval()
        tta_cfg = dict(cfg.tta_model, module=model)
        tta = MODELS.build(tta_cfg)
        plain = MODELS.build(dict(tta_cfg, crf_preset=None))
        with torch.no_grad():
            times = interleaved(
                dict(one=lambda: model.test_step(one),
                     views=lambda: plain.test_step(views),
                     crf=lambda: tta.test_step(views)), args.rounds,
                args.warmup, args.device)
    num_views = len(views['inputs'])
    med = {k: statistics.median(v) for k, v in times.items()}
    return [
        f'| evaluation, 1 view (image {h}x{w}, {windows[0]} windows) | '
        f'{med["one"]:.3f} s | 1.00x |',
        f'| evaluation, {num_views} views, no CRF ({windows[1]} windows) | '
        f"{med['views']:.3f} s | {ratio(times, 'views', 'one'):.2f}x |",
        f'| evaluation, {num_views} views + CRF | {med["crf"]:.3f} s | '
        f"{ratio(times, 'crf', 'one'):.2f}x |",
    ]


def main():
    args = parse_args()
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    MMLogger.get_instance('benchmark', log_level='WARNING')  # quiet build
    cfg = load_config(args.config, args.cfg_options)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(args.device)  # random weights
    rows = ['| part | median | ratio |', '|---|---|---|']
    if args.part in ('both', 'train'):
        rows += bench_train(cfg, model, args)
    if args.part in ('both', 'eval'):
        rows += bench_eval(cfg, model, args)
    load = ' / '.join(f'{x:.1f}' for x in os.getloadavg())
    print(f'{args.config} on {args.device} ({torch.get_num_threads()} '
          f'threads, load average {load}), {args.rounds} rounds after '
          f'{args.warmup} warm-up; ratios are medians of per-round ratios')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
