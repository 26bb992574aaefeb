"""How fast the dataset scan is: images per second.

    python tools/analysis_tools/benchmark_dataset_scan.py [--num-images 5000]
        [--height 375 --width 500] [--root DIR] [--workers 1 8 16]

Writes (or reuses) a VOC-layout tree of ``--num-images`` images of VOC's
typical size with masks (the tests' ``make_voc_fixture``), then
builds ``VOCWeakDataset`` over it with ``scan=False`` (the build alone),
with the image scan (training pipelines) and with the image + mask scan
(evaluation pipelines) for each thread count, and prints images / s of the
scan (build time without the scan subtracted). COCO's dataset runs the same
scan code. Run it on a quiet machine: the numbers are wall-clock.
"""
import argparse
import os
import os.path as osp
import tempfile
import time

from mmseg.utils import register_all_modules

from semples_mmseg.datasets import VOCWeakDataset
from voc_fixture import make_voc_fixture

TRAIN = [dict(type='LoadCheckedImageFromFile'), dict(type='PackWeakSegInputs')]
EVAL = [dict(type='LoadImageFromFile'), dict(type='LoadWeakAnnotations'),
        dict(type='PackWeakSegInputs')]


def build_seconds(root: str, pipeline, scan) -> float:
    start = time.perf_counter()
    VOCWeakDataset(data_root=root, label_file='cls_labels.npy',
                   ann_file='ImageSets/Segmentation/train_aug.txt',
                   pipeline=pipeline, scan=scan)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-images', type=int, default=5000)
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--root', help='tree to write / reuse')
    parser.add_argument('--workers', type=int, nargs='+',
                        default=[1, 8, 16])
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    root = args.root or osp.join(tempfile.gettempdir(),
                                 f'scan_bench_{args.num_images}')
    marker = osp.join(root, 'ImageSets/Segmentation/train_aug.txt')
    if not osp.isfile(marker) or sum(1 for _ in open(marker)) != \
            args.num_images:
        start = time.perf_counter()
        make_voc_fixture(root, num_images=args.num_images,
                         height=args.height, width=args.width)
        print(f'wrote {args.num_images} images + masks of {args.height} x '
              f'{args.width} into {root} in '
              f'{time.perf_counter() - start:.1f} s')
    n = args.num_images
    base = min(build_seconds(root, TRAIN, False) for _ in range(2))
    print(f'{os.cpu_count()} CPU(s); dataset build without scan: '
          f'{base:.2f} s')
    print('| scan | threads | seconds | images / s |')
    print('|---|---|---|---|')
    for name, pipeline in (('images', TRAIN), ('images + masks', EVAL)):
        for workers in args.workers:
            seconds = build_seconds(root, pipeline,
                                    dict(workers=workers)) - base
            print(f'| {name} | {workers} | {seconds:.2f} | '
                  f'{n / max(seconds, 1e-9):.0f} |', flush=True)


if __name__ == '__main__':
    main()
