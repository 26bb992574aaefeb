"""The CAM export serial against streaming, in one run on one machine.

    python tools/analysis_tools/benchmark_export.py [CONFIG] \
        --num-images 8 --rounds 2 --workers 2 [--save-cams] [--crf]

Writes a VOC-layout tree of ``--num-images`` generated JPEGs (default
500 x 375, VOC's usual size; the tests' ``make_voc_fixture``),
builds the config's model (default ``configs/semples/weaktr_voc.py``) with
random weights at its real shapes (building reads no weight file; CLIP is
never built for CAMs) and exports pseudo masks of every image with
``semples_mmseg.pseudo_masks.export.cam_pass``, the function of
``tools/make_pseudo_masks.py``, in two ways: serial (``--workers 0``: read,
infer, write one after the other in the main process) and streaming
(``--workers`` DataLoader workers reading ahead, writer threads). The two run
in interleaved rounds (the order alternates), so a load change on a shared
machine hits both alike. Printed: images/s of each (median over rounds), the
median per-round ratio streaming / serial, the serial path's time per image
in reading, inference and writing (the ratio overlap can reach at most is
serial / inference time), the main process's CPU time and minor page
faults per image, whether both wrote the same bytes, and the peak RSS of
the main process and of the largest worker. Compare ratios, not
absolute rates, across machines. On a loaded CPU machine the spin-waiting
of the model's OpenMP threads can cost more than the export itself (it is
throttled once a process has more OpenMP threads than CPUs):
``GOMP_SPINCOUNT=1000`` or ``OMP_WAIT_POLICY=PASSIVE`` changes both paths
alike; the header prints them. Only the main thread runs torch, so the two
paths wait alike.
"""
import argparse
import hashlib
import os
import os.path as osp
import resource
import shutil
import statistics
import tempfile
import time
from typing import Dict, List

import torch
from mmengine.config import DictAction

from mmseg.registry import MODELS
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.apis import build_list_dataset, load_config
from semples_mmseg.pseudo_masks import export as pseudo_masks
from voc_fixture import make_voc_fixture

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

MODES = ('serial', 'streaming')


class Stopwatch:
    """Seconds spent inside a wrapped function (summed over threads)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn):

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def folder_digest(folder: str) -> str:
    """SHA-256 over the names and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for dirpath, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            path = osp.join(dirpath, name)
            digest.update(osp.relpath(path, folder).encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', nargs='?',
        default=osp.join(REPO, 'configs/semples/weaktr_voc.py'))
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--rounds', type=int, default=2,
                        help='interleaved rounds (each exports every image '
                        'once per mode) after a one-image warm-up')
    parser.add_argument('--workers', type=int, default=2,
                        help='DataLoader workers of the streaming export')
    parser.add_argument('--writer-threads', type=int,
                        default=pseudo_masks.DEFAULT_WRITER_THREADS)
    parser.add_argument('--modes', nargs='+', choices=MODES,
                        default=list(MODES))
    parser.add_argument('--save-cams', action='store_true',
                        help='also write the float16 CAMs (.npy)')
    parser.add_argument('--crf', action='store_true',
                        help='dense CRF on each mask (pydensecrf2)')
    parser.add_argument('--work-dir', help='where the images and masks go '
                        '(default: a temporary folder, deleted)')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if args.num_images < 1 or args.rounds < 1 or args.workers < 1:
        parser.error('--num-images, --rounds and --workers must be >= 1')
    return args


def build(args, data_root: str):
    cfg = load_config(args.config, args.cfg_options)
    dataset = build_list_dataset(
        cfg.test_dataloader.dataset, data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt')
    torch.manual_seed(0)
    # real shapes, random weights: building reads no weight file (the CAM
    # network's is read by init_weights(), never called here); CLIP is
    # lazy and CAM inference never builds it
    if cfg.model.get('clip_guide'):
        cfg.model.clip_guide.pretrained = None
    model = MODELS.build(cfg.model).to(args.device).eval()
    return model, dataset


def main():
    args = parse_args()
    register_all_modules(init_default_scope=True)
    work = args.work_dir or tempfile.mkdtemp(prefix='benchmark_export_')
    data_root = osp.join(work, 'data')
    make_voc_fixture(data_root, num_images=args.num_images,
                     height=args.height, width=args.width)
    model, dataset = build(args, data_root)
    crf = None
    if args.crf:
        from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels
        crf = crf_refine_labels
    threshold = float(model.test_cfg['bg_threshold'])

    inference, writing = Stopwatch(), Stopwatch()
    model.test_step = inference.wrap(model.test_step)
    pseudo_masks.write_image_outputs = writing.wrap(
        pseudo_masks.write_image_outputs)

    def export(mode: str, indices, out: str) -> Dict[str, float]:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(osp.join(out, 'cams'))
        inference.seconds = writing.seconds = 0.0
        streaming = mode == 'streaming'
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        cpu, start = time.process_time(), time.perf_counter()
        pseudo_masks.cam_pass(
            model, dataset, indices, out_dir=out, threshold=threshold,
            crf=crf, save_cams=args.save_cams, progress=False,
            workers=args.workers if streaming else 0,
            writer_threads=args.writer_threads if streaming else 0)
        return dict(
            seconds=time.perf_counter() - start, cpu=time.process_time() - cpu,
            inference=inference.seconds, writing=writing.seconds,
            faults=resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)

    load_start = os.getloadavg()
    for mode in args.modes:  # warm-up: one image, not timed
        export(mode, [0], osp.join(work, f'warmup_{mode}'))
    times: Dict[str, List[Dict[str, float]]] = {m: [] for m in args.modes}
    digests = {m: set() for m in args.modes}
    every = range(args.num_images)
    for r in range(args.rounds):
        for mode in (args.modes if r % 2 == 0 else args.modes[::-1]):
            out = osp.join(work, f'masks_{mode}')
            times[mode].append(export(mode, every, out))
            digests[mode].add(folder_digest(out))
    load_end = os.getloadavg()

    n = args.num_images
    print(f'\nCAM export of {n} generated {args.width} x {args.height} JPEGs '
          f'with {osp.relpath(args.config, REPO)} (random weights, '
          f'{args.device}, {torch.get_num_threads()} torch threads, '
          f'{os.cpu_count()} CPUs), {args.rounds} interleaved rounds; save '
          f'CAMs {"on" if args.save_cams else "off"}, CRF '
          f'{"on" if crf else "off"}; load average {load_start[0]:.2f} -> '
          f'{load_end[0]:.2f}; ' + ', '.join(
              f'{k}={os.environ.get(k, "unset")}'
              for k in ('OMP_NUM_THREADS', 'OMP_WAIT_POLICY',
                        'GOMP_SPINCOUNT')))
    print('| mode | workers | writer threads | images/s | s/image '
          '| inference s/image | writing s/image | main process CPU s/image '
          '| page faults/image |')
    print('|---|---|---|---|---|---|---|---|---|')
    rate = {}
    for mode in args.modes:
        runs = times[mode]
        rate[mode] = statistics.median(n / t['seconds'] for t in runs)
        streaming = mode == 'streaming'
        print(f'| {mode} | {args.workers if streaming else 0} | '
              f'{args.writer_threads if streaming else 0} | '
              f'{rate[mode]:.3f} | '
              f'{statistics.median(t["seconds"] for t in runs) / n:.3f} | '
              f'{statistics.median(t["inference"] for t in runs) / n:.3f} | '
              f'{statistics.median(t["writing"] for t in runs) / n:.3f} | '
              f'{statistics.median(t["cpu"] for t in runs) / n:.3f} | '
              f'{statistics.median(t["faults"] for t in runs) / n:.0f} |')
    if 'serial' in times:
        serial = times['serial']
        total = statistics.median(t['seconds'] for t in serial)
        infer = statistics.median(t['inference'] for t in serial)
        write = statistics.median(t['writing'] for t in serial)
        read = total - infer - write
        print(f'serial time per image: reading {read / n:.3f} s, inference '
              f'{infer / n:.3f} s, writing {write / n:.3f} s (inference '
              f'{100 * infer / total:.1f}% of it: overlapping reading and '
              f'writing with it can reach at most '
              f'{total / infer:.2f}x)')
    if len(args.modes) == 2:
        ratios = [s['seconds'] / t['seconds']
                  for s, t in zip(times['serial'], times['streaming'])]
        print(f'streaming / serial images/s: {statistics.median(ratios):.2f}x'
              f' (median of the per-round ratios '
              f'{", ".join(f"{x:.2f}" for x in ratios)})')
    same = len(set().union(*digests.values())) == 1
    print(f'outputs identical across modes and rounds: '
          f'{"yes" if same else "NO"}')
    print(f'peak RSS: main process {peak_rss_mb(resource.RUSAGE_SELF):.0f} '
          f'MB, largest loader worker '
          f'{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB')
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    if not same:
        raise SystemExit('the modes wrote different files')


if __name__ == '__main__':
    main()
