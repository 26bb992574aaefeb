"""Seconds per image of the steps of docs/CUSTOM_DATA.md at their real sizes.

    python tools/analysis_tools/benchmark_custom_route.py [--device cpu] \
        [--rounds 3] [--images 1000]

Builds the models of ``configs/custom/`` with random weights (no weight
file is read) and times, after one warm-up: a training step of the WeakTr
baseline (DeiT-S, 224 crops, ``--batch`` images), the CAM inference of one
500 x 375 image at the SemPLeS config's test scales and flips (what
``tools/make_pseudo_masks.py`` does per image, CRF off), a training step of
DeepLabV3+ R101 (512 crops) and its inference of one 500 x 375 image.
Printed per step: the median seconds per image (CPU seconds of this
process on a CPU, so a busy machine does not inflate them, all threads
counted; wall seconds on a GPU) and what it comes to for ``--images``
images with the config's epochs (the segmentation training: its
iterations, whatever the number of images). The SemPLeS stages have their own benchmark
(``benchmark_semples.py CONFIG --stage N --formulations ours
--dataset-size N``). The machine's CPU count, torch's threads and the load average are
printed.
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)

CUSTOM = 'configs/custom/'
BASELINE = CUSTOM + 'weaktr_deit-s_1xb32-60e_custom-tags-224.py'
SEMPLES = CUSTOM + 'semples_weaktr-deit-s_1xb16-3x60e_custom-tags-224.py'
SEG = CUSTOM + 'deeplabv3plus_r101-d8_1xb8-20k_custom-tags-512_pseudo.py'
IMAGE = (375, 500)  # (H, W) of most VOC images


def build(config: str, device: str):
    cfg = Config.fromfile(config)
    model_cfg = cfg.model
    if 'cam_net' in model_cfg:
        model_cfg.cam_net.pretrained = None
    else:
        model_cfg.pretrained = None
        model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg).to(device)
    return cfg, model


def sample(num_classes: int, shape, seg: bool):
    item = SegDataSample(metainfo=dict(
        img_labels=np.eye(num_classes, dtype=np.float32)[0],
        img_shape=shape, ori_shape=shape))
    if seg:
        item.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes + 1, (1, *shape)))
    return item


def timed(fn, rounds: int, device: str) -> float:
    """Median seconds of ``fn()`` over ``rounds`` after one warm-up: the
    process's CPU seconds on a CPU (what the machine's load does not
    change: all threads' time, so 1 thread gives core-seconds), the wall
    seconds on a GPU."""
    cuda = device.startswith('cuda')
    clock = time.perf_counter if cuda else time.process_time
    times = []
    for i in range(rounds + 1):
        if cuda:
            torch.cuda.synchronize()
        start = clock()
        fn()
        if cuda:
            torch.cuda.synchronize()
        if i:
            times.append(clock() - start)
    return statistics.median(times)


def train_step_seconds(config: str, batch: int, size: int, device: str,
                       rounds: int) -> float:
    cfg, model = build(config, device)
    model.train()
    k = cfg.tags_num_classes
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    seg = 'cam_net' not in cfg.model
    data = dict(inputs=[torch.randint(0, 255, (3, size, size),
                                      dtype=torch.uint8)
                        for _ in range(batch)],
                data_samples=[sample(k, (size, size), seg)
                              for _ in range(batch)])
    return timed(lambda: model.train_step(data, wrapper), rounds, device)


def inference_seconds(config: str, device: str, rounds: int,
                      shape=IMAGE) -> float:
    cfg, model = build(config, device)
    model.eval()
    k = cfg.tags_num_classes
    if 'cam_net' not in cfg.model:  # the test pipeline resizes to 512
        scale = 512 / min(shape)
        shape = (round(shape[0] * scale), round(shape[1] * scale))
    data = dict(inputs=[torch.randint(0, 255, (3, *shape),
                                      dtype=torch.uint8)],
                data_samples=[sample(k, shape, False)])
    with torch.no_grad():
        return timed(lambda: model.test_step(data), rounds, device)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--images', type=int, default=1000)
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    n, b, dev = args.images, args.batch, args.device
    base_epochs = Config.fromfile(BASELINE).train_cfg.max_epochs
    seg_cfg = Config.fromfile(SEG)
    seg_iters, seg_batch = (seg_cfg.train_cfg.max_iters,
                            seg_cfg.train_dataloader.batch_size)
    rows = []
    s = train_step_seconds(BASELINE, b, 224, dev, args.rounds) / b
    rows.append(('WeakTr baseline, training', f'{s:.3f} s / image',
                 f'{s * n * base_epochs / 3600:.1f} h ({base_epochs} '
                 'epochs)'))
    s = inference_seconds(SEMPLES, dev, args.rounds)
    rows.append(('pseudo masks (CAMs at the test scales + flip)',
                 f'{s:.3f} s / image', f'{s * n / 60:.1f} min'))
    s = train_step_seconds(SEG, 2, 512, dev, args.rounds) / 2
    rows.append(('DeepLabV3+ R101, training', f'{s:.3f} s / image',
                 f'{s * seg_batch * seg_iters / 3600:.1f} h ({seg_iters} '
                 f'iterations of {seg_batch}, any number of images)'))
    s = inference_seconds(SEG, dev, args.rounds)
    rows.append(('DeepLabV3+ R101, prediction', f'{s:.3f} s / image',
                 f'{s * n / 60:.1f} min'))
    print(f'device {dev}, torch threads {torch.get_num_threads()}, '
          f'{os.cpu_count()} CPUs, load average '
          f'{", ".join(f"{x:.1f}" for x in os.getloadavg())}')
    print(f'| step | measured | for {n} images |\n|---|---|---|')
    for row in rows:
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
