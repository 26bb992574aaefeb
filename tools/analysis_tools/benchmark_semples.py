"""Our SemPLeS training step against the floor and the reference formulation.

    python tools/analysis_tools/benchmark_semples.py CONFIG --stage 1 \
        --batch-size 8 --rounds 5

Builds the config's model with random weights at its real shapes (ViT-B/32,
DeiT-S: no weight files needed), feeds synthetic 224 x 224 batches with 1-3
labels per image, and runs full training steps (forward, backward, optimizer
step) of the chosen stage in three formulations of the same step
(``training_step_formulations.py`` beside this file): ours, the floor (no avoidable
work, stock modules) and the reference's (docs/METHOD.md section 8). The
formulations share the modules, the batches and the drop-path draws, and run
in interleaved rounds (the order rotates each round), so a load change on a
shared machine hits all three alike. Printed: the median step time (wall and
process CPU), the share of the step in the CLIP image and text encoders
(autograd hooks), the median per-round ratios floor / ours and reference /
ours, and the FLOP rate of our CLIP image encoder against a large matrix
product timed in the same run. Compare ratios, not absolute times, across
machines.

GPU options (scripts/gpu_check.sh, docs/GPU.md): ``--amp fp16|bf16`` runs
the step as ``tools/train.py --amp`` trains (mmengine's AmpOptimWrapper with
a dynamic loss scale; on a CPU, torch.autocast); the batch defaults to the
stage's per-GPU batch of the config; the summary adds images/s, the peak GPU
memory, the rate at which ONE data-loader worker runs the stage's train
pipeline on generated VOC-sized JPEGs (one process, one thread) and the
workers per GPU that rate needs to keep up with the step, and the projected
time of the stage (its epochs over ``--dataset-size`` images, VOC train_aug
by default) at the config's GPU count. ``--table-out FILE`` appends that
summary as one markdown row (and the header if the file has none yet).
"""
import argparse
import copy
import math
import os
import re
import tempfile
import resource
import statistics
import sys
import time
from contextlib import nullcontext
from typing import Dict, List, Optional

import numpy as np
import torch
import yaml
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules
from torch.utils.flop_counter import FlopCounterMode

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import load_config
from semples_mmseg.engine.loops.stage_schedule import STAGE_DEFAULTS
from training_step_formulations import (FORMULATIONS, formulation_context,
                                        step_losses)

MATMUL_SIDE = 2048
AMP_DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16}
VOC_TRAIN_AUG = 10582  # images of VOC train_aug (SBD + VOC train)
# (width, height) of generated images: VOC's common sizes (500 x 375 and
# 375 x 500 are most of VOC 2012)
VOC_IMAGE_SIZES = ((500, 375), (375, 500), (500, 333))
TABLE_HEADER = (
    '| config | stage | precision | device | batch / GPU | step ms (median) '
    '| images/s | peak GPU MiB | CLIP image encoder | loader images/s per '
    'worker | workers / GPU needed | GPUs | projected stage h |\n'
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n')


class Timer:
    """Time spent in one wrapped function, forward and backward.

    Each call's forward interval and its backward interval (from the
    gradient reaching its output to the gradient leaving its first input
    that requires one) are recorded; :attr:`seconds` is the length of their
    union, so calls whose backwards interleave are not counted twice. Each
    call's batch size and autograd flags are recorded too.
    """

    def __init__(self, sync) -> None:
        self.sync = sync
        self.intervals: List[List[float]] = []
        self.calls: List[tuple] = []

    def reset(self) -> None:
        self.intervals = []
        self.calls = []

    @property
    def seconds(self) -> float:
        total, end = 0.0, float('-inf')
        for a, b in sorted(i for i in self.intervals if len(i) == 2):
            if b > end:
                total += b - max(a, end)
                end = b
        return total

    def wrap(self, fn):

        def timed(*args, **kwargs):
            self.sync()
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            self.sync()
            self.intervals.append([start, time.perf_counter()])
            grad_inputs = [
                a for a in args
                if isinstance(a, torch.Tensor) and a.requires_grad
            ]
            self.calls.append((args[0].shape[0], bool(grad_inputs),
                               out.requires_grad))
            if out.requires_grad and grad_inputs:
                interval: List[float] = []
                self.intervals.append(interval)
                out.register_hook(lambda g: self._mark(interval))
                grad_inputs[0].register_hook(lambda g: self._mark(interval))
            return out

        return timed

    def _mark(self, interval: List[float]) -> None:
        self.sync()
        if len(interval) < 2:
            interval.append(time.perf_counter())


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


def resolve_quick_gelu(model_cfg) -> str:
    """Keep the CLIP activation of the configured weights once they are
    replaced by random ones: QuickGELU for OpenAI's ('openai' tag or a
    ``.pt`` archive, as FrozenCLIPGuide picks it), else GELU."""
    guide = model_cfg.get('clip_guide')
    if not guide:
        return 'no CLIP'
    if guide.get('quick_gelu') is None:
        pretrained = str(guide.get('pretrained'))
        guide['quick_gelu'] = (pretrained == 'openai'
                               or pretrained.endswith('.pt'))
    return 'QuickGELU' if guide['quick_gelu'] else 'GELU'


def stage_batch(cfg: Config, spec: Dict) -> int:
    """The stage's batch per GPU: its dataloader override or the config's."""
    override = (spec.get('dataloader') or {}).get('batch_size')
    return int(override or cfg.train_dataloader.batch_size)


def stage_pipeline(cfg: Config, spec: Dict) -> list:
    """The stage's train pipeline: its dataloader override or the config's."""
    override = ((spec.get('dataloader') or {}).get('dataset') or {})
    return list(override.get('pipeline') or cfg.train_dataloader.dataset.pipeline)


def config_gpus(path: str) -> Optional[int]:
    """The GPU count a config is named for (``8xb8`` -> 8): in its file
    name or, for a short name, in its model-zoo name in the metafile.yaml
    next to it."""
    names = [os.path.basename(path)]
    metafile = os.path.join(os.path.dirname(path), 'metafile.yaml')
    if os.path.isfile(metafile):
        with open(metafile) as f:
            models = yaml.safe_load(f).get('Models') or []
        names += [m['Name'] for m in models
                  if os.path.basename(m['Config']) == names[0]]
    for name in names:
        found = re.search(r'_(\d+)xb\d+', name)
        if found:
            return int(found.group(1))
    return None


def stage_hours(step_s: float, epochs: int, images: int, batch: int,
                gpus: int) -> float:
    """Hours of ``epochs`` epochs over ``images`` images at ``batch`` per
    GPU on ``gpus`` GPUs (mmengine's DefaultSampler: ceil(images / gpus)
    per GPU, the last batch partial), training steps only."""
    steps = math.ceil(math.ceil(images / gpus) / batch)
    return epochs * steps * step_s / 3600


def write_voc_sized_jpegs(folder: str, n: int) -> List[str]:
    """``n`` JPEGs at VOC sizes with smooth content plus noise (quality
    90), so decoding costs what a photo costs."""
    from PIL import Image
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        w, h = VOC_IMAGE_SIZES[i % len(VOC_IMAGE_SIZES)]
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * (1 + c) + yy * (3 - c)) % 256
                         for c in range(3)], axis=-1)
        img = np.clip(base + rng.normal(0, 20, base.shape), 0, 255)
        paths.append(os.path.join(folder, f'{i:04d}.jpg'))
        Image.fromarray(img.astype(np.uint8)).save(paths[-1], quality=90)
    return paths


def loader_images_per_second(pipeline: list, n_images: int,
                             num_classes: int) -> float:
    """Images per second of one data-loader worker (this process, one
    thread) running ``pipeline`` on ``n_images`` generated VOC-sized JPEGs,
    after one warm-up image."""
    transform = Compose(copy.deepcopy(pipeline))
    labels = np.zeros(num_classes, np.float32)
    labels[0] = 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a DataLoader worker
    try:
        with tempfile.TemporaryDirectory() as folder:
            paths = write_voc_sized_jpegs(folder, n_images + 1)

            def run(path):
                out = transform(dict(img_path=path, img_labels=labels,
                                     seg_fields=[], reduce_zero_label=False))
                if out is None:
                    raise RuntimeError(f'the train pipeline dropped {path}')

            run(paths[0])
            start = time.process_time()
            for path in paths[1:]:
                run(path)
            seconds = time.process_time() - start
    finally:
        torch.set_num_threads(threads)
    return n_images / max(seconds, 1e-9)


def matmul_gflops(device, dtype, sync, repeats: int = 3) -> float:
    """GFLOP/s of a MATMUL_SIDE^3 matrix product (median of ``repeats``)."""
    a = torch.randn(MATMUL_SIDE, MATMUL_SIDE, device=device, dtype=dtype)
    b = torch.randn_like(a)
    rates = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        torch.mm(a, b)
        sync()
        rates.append(2 * MATMUL_SIDE**3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def encoder_flops(guide, n_images: int, input_grad: bool,
                  grad_enabled: bool) -> float:
    """FLOPs of one ``guide.encode_images`` call on ``n_images`` images,
    forward plus, under autograd, the backward into the images."""
    size = guide.image_size
    dtype = guide.class_text_features.dtype
    x = torch.randn(n_images, 3, size, size, dtype=dtype,
                    device=guide.class_text_features.device,
                    requires_grad=input_grad)
    counter = FlopCounterMode(display=False)
    with counter, torch.set_grad_enabled(grad_enabled):
        out = guide.encode_images(x)
        if out.requires_grad:
            out.sum().backward()
    return float(counter.get_total_flops())


def main():
    parser = argparse.ArgumentParser(description='SemPLeS step benchmark')
    parser.add_argument('config')
    parser.add_argument('--stage', type=int, choices=(1, 2, 3), default=1)
    parser.add_argument('--batch-size', type=int, default=None,
                        help="batch per GPU (default: the stage's in the "
                        'config)')
    parser.add_argument('--rounds', '--iters', dest='rounds', type=int,
                        default=5, help='interleaved rounds after warm-up')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--formulations', nargs='+', choices=FORMULATIONS,
                        default=list(FORMULATIONS))
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--amp', choices=sorted(AMP_DTYPES), default=None,
        help='mixed precision as tools/train.py --amp: AmpOptimWrapper '
        '(CUDA) or torch.autocast (CPU) in this dtype')
    parser.add_argument(
        '--gpus', type=int, default=None,
        help='GPU count of the projection (default: the one the config is '
        'named for, 8xb8 -> 8)')
    parser.add_argument('--dataset-size', type=int, default=VOC_TRAIN_AUG,
                        help='images per epoch of the projection')
    parser.add_argument(
        '--loader-images', type=int, default=16,
        help='images timed through the train pipeline (0: skip)')
    parser.add_argument('--table-out',
                        help='append the summary as a markdown row')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if 'ours' not in args.formulations:
        parser.error('--formulations must include ours (ratios are to it)')

    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    activation = resolve_quick_gelu(cfg.model)
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
    if args.batch_size is None:
        args.batch_size = stage_batch(cfg, spec)
    cuda = args.device.startswith('cuda')
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    autocast = nullcontext
    amp_dtype = AMP_DTYPES.get(args.amp)
    if amp_dtype is not None and cuda:  # as tools/train.py --amp
        wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic',
                           dtype=str(amp_dtype).replace('torch.', ''))
    elif amp_dtype is not None:  # AmpOptimWrapper needs a GPU

        def autocast():
            return torch.autocast(device_type='cpu', dtype=amp_dtype)

    optim = build_optim_wrapper(model, wrapper_cfg)
    for group in optim.optimizer.param_groups:
        group['lr'] = spec['lr'].get(group.get('name'), 0.0)

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    guide = model.clip_guide
    image_timer, text_timer = Timer(sync), Timer(sync)
    if guide is not None:
        guide.encode_images = image_timer.wrap(guide.encode_images)
        guide.encode_token_embeddings = text_timer.wrap(
            guide.encode_token_embeddings)
        guide._encode_text_ids = text_timer.wrap(guide._encode_text_ids)

    load_start = os.getloadavg()
    rng = np.random.default_rng(0)
    k = model.cam_net.num_classes
    names = args.formulations
    wall: Dict[str, List[float]] = {f: [] for f in names}
    cpu: Dict[str, List[float]] = {f: [] for f in names}
    image_share: Dict[str, List[float]] = {f: [] for f in names}
    text_share: Dict[str, List[float]] = {f: [] for f in names}
    image_calls: List[List[tuple]] = []
    image_seconds: List[float] = []
    pairs, matmul = [], []
    peak_mib: Dict[str, float] = {f: 0.0 for f in names}
    # the CPU's low-precision matrix products are emulated (far slower):
    # the reference product runs in fp32 there
    matmul_dtype = amp_dtype if (amp_dtype is not None and cuda) else None
    for r in range(args.warmup + args.rounds):
        inputs, samples = synthetic_batch(args.batch_size, k, args.size,
                                          args.device, rng)
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            torch.manual_seed(1000 + r)  # the same drop-path draws for all
            image_timer.reset()
            text_timer.reset()
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            sync()
            start, start_cpu = time.perf_counter(), time.process_time()
            with formulation_context(model, name):
                with optim.optim_context(model), autocast():
                    losses = step_losses(model, inputs, samples, name)
                loss, _ = model.parse_losses(losses)
                optim.update_params(loss)
            sync()
            step = time.perf_counter() - start
            if r < args.warmup:
                continue
            if cuda:
                peak_mib[name] = max(peak_mib[name],
                                     torch.cuda.max_memory_allocated() / 2**20)
            wall[name].append(step)
            cpu[name].append(time.process_time() - start_cpu)
            image_share[name].append(image_timer.seconds / step)
            text_share[name].append(text_timer.seconds / step)
            if name == 'ours':
                image_calls.append(list(image_timer.calls))
                image_seconds.append(image_timer.seconds)
        done = ('warm-up done' if r < args.warmup else
                f'round {r + 1 - args.warmup}/{args.rounds}: ' +
                ', '.join(f'{n} {wall[n][-1]:.2f} s' for n in names))
        print(done, file=sys.stderr, flush=True)
        if r >= args.warmup:
            pairs.append(
                sum(int(s.metainfo['img_labels'].sum()) for s in samples))
            matmul.append(
                matmul_gflops(args.device, matmul_dtype or inputs.dtype,
                              sync))
    load_end = os.getloadavg()

    def per_round_ratio(num: str, den: str, times) -> float:
        return statistics.median(a / b for a, b in zip(times[num], times[den]))

    print(f'SemPLeS step benchmark: {args.config}, stage {args.stage}, '
          f'batch {args.batch_size}, {args.size} px, {args.device}, '
          f'{torch.get_num_threads()} threads, CLIP {activation}, '
          f'precision {args.amp or "fp32"}, '
          f'{args.rounds} interleaved '
          f'rounds after {args.warmup} warm-up, pairs P per step: mean '
          f'{statistics.mean(pairs):.1f} (the same batches for all)')
    print('| formulation | median step s | median CPU s | fastest step s '
          '| CLIP image encoder | CLIP text encoder '
          '| this / ours (per-round median) |')
    print('|---|---|---|---|---|---|---|')
    for name in names:
        print(f'| {name} | {statistics.median(wall[name]):.3f} | '
              f'{statistics.median(cpu[name]):.3f} | {min(wall[name]):.3f} | '
              f'{100 * statistics.median(image_share[name]):.1f}% | '
              f'{100 * statistics.median(text_share[name]):.1f}% | '
              f'{per_round_ratio(name, "ours", wall):.2f}x |')
    for name in names:
        if name != 'ours':
            print(f'{name} / ours: {per_round_ratio(name, "ours", wall):.2f}x '
                  f'(wall), {per_round_ratio(name, "ours", cpu):.2f}x (CPU), '
                  f'{min(wall[name]) / min(wall["ours"]):.2f}x (fastest '
                  'steps)')
    if guide is not None and image_seconds and sum(image_seconds) > 0:
        per_call = {}
        flops = []
        for calls in image_calls:
            total = 0.0
            for n, input_grad, out_grad in calls:
                key = (input_grad, out_grad)
                if key not in per_call:
                    per_call[key] = encoder_flops(guide, 2, input_grad,
                                                  out_grad) / 2
                total += n * per_call[key]
            flops.append(total)
        rate = statistics.median(
            f / s / 1e9 for f, s in zip(flops, image_seconds) if s > 0)
        peak = statistics.median(matmul)
        print(f'CLIP image encoder (ours): '
              f'{statistics.median(flops) / 1e9:.2f} GFLOP per step, '
              f'{rate:.3g} GFLOP/s achieved; a {MATMUL_SIDE}^3 matrix '
              f'product in the same run: {peak:.3g} GFLOP/s '
              f'(encoder at {100 * rate / peak:.0f}% of it)')
    for name in names:
        print(f'rounds {name} (s): ' +
              ' '.join(f'{t:.3f}' for t in wall[name]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'load average (1 min) at start / end: {load_start[0]:.1f} / '
          f'{load_end[0]:.1f} on {os.cpu_count()} CPUs; process peak RSS '
          f'{rss:.0f} MiB (all formulations)')
    summary(args, cfg, spec, wall['ours'], image_share['ours'],
            peak_mib['ours'] if cuda else None, k)


def summary(args, cfg: Config, spec: Dict, steps: List[float],
            image_shares: List[float], peak_mib: Optional[float],
            num_classes: int) -> None:
    """Our step's throughput beside the data-loading rate of one worker,
    the workers per GPU that rate needs, and the projected stage time;
    printed, and appended to ``--table-out`` as one markdown row."""
    step = statistics.median(steps)
    images_per_s = args.batch_size / step
    loader = None
    if args.loader_images > 0:
        loader = loader_images_per_second(
            stage_pipeline(cfg, spec), args.loader_images, num_classes)
    workers = None if loader is None else math.ceil(images_per_s / loader)
    gpus = args.gpus or config_gpus(args.config)
    hours = None if gpus is None else stage_hours(
        step, int(spec['max_epochs']), args.dataset_size, args.batch_size,
        gpus)
    share = 100 * statistics.median(image_shares)
    peak = 'n/a' if peak_mib is None else f'{peak_mib:.0f}'
    rate = 'n/a' if loader is None else f'{loader:.1f}'
    need = 'n/a' if workers is None else str(workers)
    projected = 'n/a' if hours is None else f'{hours:.2f}'
    print(f'ours: {1000 * step:.1f} ms per step, {images_per_s:.4g} images/s'
          f' per GPU, peak GPU memory {peak} MiB; one loader worker: {rate} '
          f'images/s (train pipeline of stage {args.stage}, '
          f'{args.loader_images} VOC-sized JPEGs, CPU time of one thread) '
          f'-> {need} workers per GPU to keep up (config: '
          f'{cfg.train_dataloader.get("num_workers")}); projected stage '
          f'({spec["max_epochs"]} epochs x {args.dataset_size} images, '
          f'{gpus or "?"} GPUs, training steps only): {projected} h')
    if args.table_out:
        row = (f'| {os.path.basename(args.config)} | {args.stage} | '
               f'{args.amp or "fp32"} | {args.device} | {args.batch_size} | '
               f'{1000 * step:.1f} | {images_per_s:.4g} | {peak} | '
               f'{share:.0f}% | {rate} | {need} | {gpus or "n/a"} | '
               f'{projected} |\n')
        os.makedirs(os.path.dirname(os.path.abspath(args.table_out)),
                    exist_ok=True)
        with open(args.table_out, 'a+') as f:
            f.seek(0)
            has_header = TABLE_HEADER.splitlines()[0] in f.read()
            f.write(('' if has_header else TABLE_HEADER) + row)


if __name__ == '__main__':
    main()
