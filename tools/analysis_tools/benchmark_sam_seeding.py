"""SAM-based seeding and the rock-sand-water filter, timed in one run.

    python tools/analysis_tools/benchmark_sam_seeding.py [--height 375] \
        [--width 500] [--masks 150] [--classes 3] [--images 20] [--rounds 3]

Generates ``--images`` VOC-sized images' worth of SAM-like region masks
(ellipses: a fifth large at level 2, a third medium at level 1, the rest
small at level 0) and smooth non-negative CAMs, then times, in interleaved
rounds on the same inputs:

* ``sam_seeds`` (vectorised over masks) against a per-mask loop written the
  way FMA-WSSS's seeding computes (a (P, S, H, W) product for the means,
  one masked assignment per mask for the painting); both must give the same
  label maps;
* the rock-sand-water filter with pixel-block intersection counts against
  FMA's way (a chunk of 50 masks x the kept masks x H x W boolean tensor),
  with the bytes the largest intermediate of each takes.

Printed: the median CPU ms per image of each (process time at one torch
thread, so other programs on a shared machine count less than in wall
time) and the median per-round ratio, the largest intermediate of each
filter, and the region file size per image (bit-packed, compressed) with
its total for VOC train_aug's 10582 images. Compare ratios, not absolute
times, across machines; the machine's load average is printed.
"""
import argparse
import os
import statistics
import time
from typing import Callable, Dict, List

import numpy as np
import torch

from semples_mmseg.pseudo_masks.region_masks_io import (RegionMasks,
                                                        save_region_masks)
from semples_mmseg.pseudo_masks.sam_seeding import sam_seeds

TRAIN_AUG = 10582


def ellipse_masks(rng, count, h, w, scale, level):
    ys, xs = np.mgrid[:h, :w]
    masks = np.zeros((count, h, w), bool)
    for mask in masks:
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(0.5, 1.5, 2) * scale * np.array([h, w])
        mask[:] = ((ys - cy) / ry)**2 + ((xs - cx) / rx)**2 <= 1
    return masks, np.full(count, level)


def make_image(rng, h, w, num_masks, num_classes):
    """(masks, levels, cams, classes) of one synthetic image."""
    large = max(1, num_masks // 5)
    medium = max(1, num_masks // 3)
    parts = [ellipse_masks(rng, large, h, w, 0.25, 2),
             ellipse_masks(rng, medium, h, w, 0.1, 1),
             ellipse_masks(rng, num_masks - large - medium, h, w, 0.04, 0)]
    masks = np.concatenate([p[0] for p in parts])
    levels = np.concatenate([p[1] for p in parts])
    keep = masks.any((1, 2))
    cams = np.zeros((num_classes, h, w), np.float32)
    ys, xs = np.mgrid[:h, :w]
    for cam in cams:
        for _ in range(3):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            cam += np.exp(-((ys - cy)**2 + (xs - cx)**2) / (0.02 * h * w))
    classes = rng.choice(np.arange(1, 21), num_classes, replace=False)
    return masks[keep], levels[keep], cams, classes


def seeds_by_mask_loop(cams, classes, masks, levels, *, gamma):
    """The reference's way: whole-image products for the means (one class
    at a time here, FMA broadcasts all at once), then one masked assignment
    per mask, over the whole image, for the painting."""
    area = masks.sum((1, 2))
    means = np.stack([(np.maximum(cam, 0)[None] * masks).sum((1, 2))
                      for cam in cams]) / area  # (P, S)
    low = means.min(1, keepdims=True)
    high = means.max(1, keepdims=True)
    fg = (means - low) / (high - low + np.float32(1e-7))
    scores = np.concatenate([(1 - fg.max(0, keepdims=True))**gamma, fg])
    winner = scores.argmax(0)
    confidence = scores[winner, np.arange(len(winner))]
    values = np.concatenate([[0], classes])[winner]
    order = sorted(range(len(masks)),
                   key=lambda s: (int(levels[s]), float(confidence[s])))
    label = np.zeros(masks.shape[1:], classes.dtype)
    for s in order:
        label[masks[s]] = values[s]
    return label


def rock_sand_water_broadcast(masks, levels, *, threshold, chunk=50):
    """FMA's filter: (chunk, kept, H, W) intersections. Returns (keep,
    the largest intermediate in bytes)."""
    keep = torch.zeros(len(masks), dtype=torch.bool)
    largest = 0
    for level in levels.unique().flip(0).tolist():
        members = (levels == level).nonzero().squeeze(1)
        if not keep.any():
            keep[members] = True
            continue
        kept = masks[keep]
        recalls = []
        for start in range(0, len(members), chunk):
            block = masks[members[start:start + chunk]]
            both = block[:, None] & kept[None]
            largest = max(largest, both.numel())
            inside = both.sum((2, 3))
            recalls.append(inside.amax(1) / block.sum((1, 2)))
        keep[members[torch.cat(recalls) < threshold]] = True
    return keep, largest


def timed(fn: Callable, images: List) -> float:
    start = time.process_time()
    for image in images:
        fn(*image)
    return (time.process_time() - start) / len(images) * 1000


def median_table(times: Dict[str, List[float]], base: str) -> List[str]:
    rows = []
    for name, values in times.items():
        rows.append(f'| {name} | {statistics.median(values):.2f} |')
    ratios = [b / max(a, 1e-9) for a, b in zip(times[base], times[next(
        k for k in times if k != base)])]
    return rows + [f'median per-round ratio (other / {base}): '
                   f'{statistics.median(ratios):.1f}x']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--masks', type=int, default=150)
    parser.add_argument('--classes', type=int, default=3)
    parser.add_argument('--images', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1: per-image work)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    images = [make_image(rng, args.height, args.width, args.masks,
                         args.classes) for _ in range(args.images)]
    counts = [len(image[0]) for image in images]
    print(f'{args.images} images of {args.width} x {args.height}, '
          f'{statistics.mean(counts):.0f} masks and {args.classes} classes '
          f'each; torch threads {args.threads}; load average '
          f'{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs')

    for masks, levels, cams, classes in images[:3]:
        assert np.array_equal(
            sam_seeds(cams, classes, masks, levels, gamma=args.gamma),
            seeds_by_mask_loop(cams, classes, masks, levels,
                               gamma=args.gamma))
    print('label maps identical to the per-mask loop: yes')

    def ours(masks, levels, cams, classes):
        sam_seeds(cams, classes, masks, levels, gamma=args.gamma)

    def loop(masks, levels, cams, classes):
        seeds_by_mask_loop(cams, classes, masks, levels, gamma=args.gamma)

    times = {'sam_seeds (vectorised)': [], 'per-mask loop': []}
    for round_ in range(args.rounds):
        pair = [('sam_seeds (vectorised)', ours), ('per-mask loop', loop)]
        for name, fn in pair[::1 if round_ % 2 == 0 else -1]:
            times[name].append(timed(fn, images))
    print('\nseeding, CPU ms per image (median over rounds)\n| method | ms |'
          '\n|---|---|')
    print('\n'.join(median_table(times, 'sam_seeds (vectorised)')))

    from semples_mmseg.pseudo_masks.sam_masks import (PIXEL_CHUNK,
                                                      rock_sand_water)
    tensors = [(torch.from_numpy(masks), torch.from_numpy(levels))
               for masks, levels, _, _ in images]
    rsw = {'pixel blocks': [], 'broadcast, 50 masks a chunk': []}
    largest = 0
    for round_ in range(args.rounds):
        for name in list(rsw)[::1 if round_ % 2 == 0 else -1]:
            start = time.process_time()
            for masks, levels in tensors:
                if name == 'pixel blocks':
                    rock_sand_water(masks, levels, threshold=0.3)
                else:
                    size = rock_sand_water_broadcast(
                        masks, levels, threshold=0.3)[1]
                    largest = max(largest, size)
            rsw[name].append(
                (time.process_time() - start) / len(images) * 1000)
    for masks, levels in tensors[:3]:
        assert torch.equal(
            rock_sand_water(masks, levels, threshold=0.3),
            rock_sand_water_broadcast(masks, levels, threshold=0.3)[0])
    print('\nrock-sand-water, CPU ms per image (median over rounds); kept '
          'masks identical: yes\n| method | ms |\n|---|---|')
    print('\n'.join(median_table(rsw, 'pixel blocks')))
    blocks = 2 * args.masks * PIXEL_CHUNK * 4  # two float blocks at most
    print(f'largest intermediate: pixel blocks {blocks / 2**20:.1f} MB '
          f'(fixed), broadcast {largest / 2**20:.1f} MB (grows with masks '
          'x kept x H x W)')

    sizes = []
    for masks, levels, _, _ in images:
        regions = RegionMasks.from_masks(masks, levels)
        path = os.path.join(os.environ.get('TMPDIR', '/tmp'),
                            f'bench_regions_{os.getpid()}.npz')
        save_region_masks(regions, path)
        sizes.append(os.path.getsize(path))
        os.remove(path)
    per_image = statistics.mean(sizes)
    raw = statistics.mean(counts) * args.height * args.width / 8
    print(f'\nregion file: {per_image / 1024:.0f} kB per image '
          f'(bit-packed {raw / 2**20:.1f} MB before compression); '
          f'{TRAIN_AUG} images: {per_image * TRAIN_AUG / 2**30:.2f} GB')


if __name__ == '__main__':
    main()
