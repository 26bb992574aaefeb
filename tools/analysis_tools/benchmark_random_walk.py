"""IRNet's random walk: the sparse products against the dense matrix, in one run.

    python tools/analysis_tools/benchmark_random_walk.py [--size 94 125] \
        [--classes 2] [--dense-squarings 8] [--threads 2]

At a stride-4 map of ``--size`` (94 x 125: a 375 x 500 VOC image) with a
generated boundary map (walls of closed shapes, noise) and ``--classes``
CAMs, each way runs once in its own process:

- sparse: ``semples_mmseg.pseudo_masks.random_walk.random_walk`` (2^8
  products with the 69 diagonals of T);
- dense: IRNet's way, written here from its formula: the n x n affinity
  matrix, T = A^10 with columns summing to 1, squared 8 times, x T.

Printed: wall time and peak memory (the resident set's high-water mark
over its level before the walk, Linux's VmHWM) of each,
the ratios, and, at the sparse side, the bytes per pixel at 1x, 2x and 4x
the pixels (linear memory: about the same bytes per pixel). With
``--dense-squarings k`` < 8 the dense way squares only k times (its peak
memory does not depend on k) and its time is extrapolated to 8 squarings
(said so in the table). Both results are compared at ``--check-size``
(default 24 x 32), where the dense way is cheap: the largest difference.

``--threads`` sets torch's threads for both ways. On an oversubscribed CPU
(more runnable processes than cores), OpenMP's parallel regions stall: the
sparse way's 69 small products per step suffer most (measured on a 2-core
machine at load 14: 2.2 s with 1 thread, 131 s with 2, at 2x VOC's pixels);
compare at ``--threads 1`` there.
"""
import argparse
import multiprocessing as mp
import os
import time
from typing import Dict, Optional, Tuple

import numpy as np
import torch

from semples_mmseg.models.irn.path_index import PathIndex
from semples_mmseg.pseudo_masks.random_walk import random_walk

BETA, EXP_TIMES, RADIUS = 10, 8, 5


def boundary_and_cams(height: int, width: int, classes: int,
                      seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """A boundary map of ellipse outlines with noise, and CAM blobs inside."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    boundary = 0.05 * rng.random((height, width), np.float32)
    cams = np.zeros((classes, height, width), np.float32)
    for k in range(classes):
        cy, cx = rng.uniform(0.25, 0.75) * height, rng.uniform(0.2,
                                                               0.8) * width
        ry, rx = rng.uniform(0.1, 0.3) * height, rng.uniform(0.1, 0.3) * width
        radius = np.sqrt(((ys - cy) / ry)**2 + ((xs - cx) / rx)**2)
        boundary = np.maximum(boundary, np.exp(-((radius - 1) * 8)**2))
        cams[k] = np.clip(1 - radius, 0, 1)
    return torch.from_numpy(np.clip(boundary, 0, 1)), torch.from_numpy(cams)


def dense_walk(cams: torch.Tensor,
               boundary: torch.Tensor,
               squarings: int,
               timings: Optional[Dict[str, float]] = None) -> torch.Tensor:
    """IRNet's dense form: A (n x n), T = A^beta / column sums, T squared
    ``squarings`` times, x T; ``timings`` gets the seconds of the squarings
    and of the rest."""
    start = time.perf_counter()
    height, width = boundary.shape
    n = height * width
    index = PathIndex(radius=RADIUS)
    m = index.margin
    padded = torch.nn.functional.pad(boundary[None], (m, m, 0, m),
                                     value=1.0)[0]
    affinity = index.affinity(padded)  # (D, n), sources = every pixel
    src = torch.arange(n)
    a = torch.eye(n, dtype=boundary.dtype)
    for d, (dy, dx) in enumerate(index.directions):
        y, x = src // width + dy, src % width + dx
        inside = (y < height) & (x >= 0) & (x < width)
        dst = y[inside] * width + x[inside]
        a[src[inside], dst] = affinity[d][inside]
        a[dst, src[inside]] = affinity[d][inside]
    t = a.pow(BETA)
    del a
    t /= t.sum(dim=0, keepdim=True)
    squaring = time.perf_counter()
    for _ in range(squarings):
        t = t @ t
    done = time.perf_counter()
    x = (cams * (1 - boundary)).reshape(len(cams), n)
    out = (x @ t).reshape(cams.shape)
    if timings is not None:
        timings['squarings'] = done - squaring
        timings['rest'] = squaring - start + time.perf_counter() - done
    return out


def status_bytes(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM) in bytes."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak() -> None:
    """Start the RSS high-water mark (VmHWM) again from the current RSS."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def measure(way: str, height: int, width: int, classes: int, squarings: int,
            threads: int) -> Dict[str, float]:
    """Run one way in this (fresh) process: seconds and peak extra bytes."""
    torch.set_num_threads(threads)
    boundary, cams = boundary_and_cams(height, width, classes)
    random_walk(cams[:, :8, :8], boundary[:8, :8], exp_times=1)  # warm up
    reset_peak()
    before = status_bytes('VmRSS')
    timings: Dict[str, float] = {}
    start = time.perf_counter()
    if way == 'sparse':
        random_walk(cams, boundary, radius=RADIUS, beta=BETA,
                    exp_times=EXP_TIMES)
    else:
        dense_walk(cams, boundary, squarings, timings)
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, bytes=status_bytes('VmHWM') - before,
                **timings)


def in_child(*args) -> Dict[str, float]:
    with mp.get_context('spawn').Pool(1) as pool:
        return pool.apply(measure, args)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=(94, 125),
                        metavar=('H', 'W'), help='the stride-4 map')
    parser.add_argument('--classes', type=int, default=2)
    parser.add_argument('--dense-squarings', type=int, default=EXP_TIMES,
                        help=f'1..{EXP_TIMES}; fewer: time extrapolated')
    parser.add_argument('--check-size', type=int, nargs=2, default=(24, 32))
    parser.add_argument('--threads', type=int,
                        default=torch.get_num_threads())
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not 1 <= args.dense_squarings <= EXP_TIMES:
        raise SystemExit(f'--dense-squarings must be 1..{EXP_TIMES}')
    height, width = args.size
    n = height * width
    print(f'map {height} x {width} (n = {n} pixels), {args.classes} '
          f'classes, radius {RADIUS}, beta {BETA}, 2^{EXP_TIMES} steps, '
          f'{args.threads} torch thread(s), load average '
          f'{os.getloadavg()[0]:.1f}')
    check_h, check_w = args.check_size
    boundary, cams = boundary_and_cams(check_h, check_w, args.classes)
    gap = (random_walk(cams.double(), boundary.double()) -
           dense_walk(cams.double(), boundary.double(), EXP_TIMES)).abs()
    gap32 = (random_walk(cams, boundary) -
             dense_walk(cams, boundary, EXP_TIMES)).abs()
    print(f'sparse vs dense at {check_h} x {check_w}: largest difference '
          f'{gap.max():.2e} (float64), {gap32.max():.2e} (float32)')

    sparse = in_child('sparse', height, width, args.classes, 0, args.threads)
    dense = in_child('dense', height, width, args.classes,
                     args.dense_squarings, args.threads)
    dense_seconds = dense['seconds']
    note = 'measured'
    if args.dense_squarings < EXP_TIMES:  # the setup counted once
        dense_seconds = dense['rest'] + dense['squarings'] * (
            EXP_TIMES / args.dense_squarings)
        note = (f'extrapolated from {args.dense_squarings} of {EXP_TIMES} '
                'squarings')
    mib = 2**20
    print('\n| way | time (s) | peak memory (MiB) |\n|---|---|---|')
    print(f"| sparse | {sparse['seconds']:.3f} | {sparse['bytes'] / mib:.1f} "
          '|')
    print(f"| dense | {dense_seconds:.1f} ({note}) | "
          f"{dense['bytes'] / mib:.1f} |")
    print(f"| dense / sparse | {dense_seconds / sparse['seconds']:.0f}x | "
          f"{dense['bytes'] / max(sparse['bytes'], 1):.0f}x |")
    print('\nsparse memory by size (linear: constant bytes per pixel):')
    for scale in (1, 2, 4):
        h, w = round(height * scale**0.5), round(width * scale**0.5)
        run = in_child('sparse', h, w, args.classes, 0, args.threads)
        print(f'  {h} x {w} ({h * w} px): {run["bytes"] / mib:.2f} MiB, '
              f'{run["bytes"] / (h * w):.0f} bytes / pixel, '
              f'{run["seconds"]:.3f} s')


if __name__ == '__main__':
    main()
