"""Verify the data tree a config reads, in one pass (docs/DATA.md).

    python tools/analysis_tools/verify_dataset.py CONFIG [--split all|train|val|test]
        [--expect train=10582 val=1464] [--workers N] [--cfg-options ...]

Per split: the folders and files the config names exist, every listed image
decodes, masks where the split reads them (evaluation, masks_required,
labels from masks) are present, single-channel, of their image's size and
0..K / 255, every image has image-level labels of K classes (K = the CAM
network's), and the number of images equals the full download's (VOC:
trainaug 10582, train 1464, val 1449; COCO 2014: 82081 / 40137; other
datasets: reported only; ``--expect SPLIT=N`` sets or overrides it).
Prints a one-screen summary; exits 1 naming every missing or bad file.
"""
import argparse
import sys

from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import semples_mmseg  # noqa: F401  (registers the datasets)
from semples_mmseg.apis import load_config
from semples_mmseg.datasets.tree_check import (SPLITS, format_reports,
                                               verify_tree)


def parse_expect(items) -> dict:
    out = {}
    for item in items or ():
        split, _, count = item.partition('=')
        if split not in SPLITS or not count.isdigit():
            raise SystemExit(f'--expect takes SPLIT=N with SPLIT one of '
                             f'{SPLITS}, got {item!r}')
        out[split] = int(count)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--split', choices=('all', ) + SPLITS, default='all')
    parser.add_argument('--expect', nargs='+', metavar='SPLIT=N',
                        help='expected image count of a split (overrides '
                        'the known VOC / COCO counts)')
    parser.add_argument('--workers', type=int,
                        help='scan threads (default: 4 x CPUs, at most 32)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    # the datasets' own progress lines would push the summary off screen
    MMLogger.get_instance('verify_dataset', log_level='WARNING')
    splits = SPLITS if args.split == 'all' else (args.split, )
    reports = verify_tree(cfg, splits=splits,
                          expected=parse_expect(args.expect),
                          workers=args.workers)
    print(f'verify_dataset: {args.config}')
    if not reports:
        print(f'no dataset in {args.config} for --split {args.split}')
        return 1
    print(format_reports(reports))
    bad = sum(len(r.problems) for r in reports)
    if bad:
        print(f'FAILED: {bad} problem(s) above')
        return 1
    print('OK: every split checked is complete')
    return 0


if __name__ == '__main__':
    sys.exit(main())
