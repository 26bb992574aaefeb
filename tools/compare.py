"""A compatibility experiment: a baseline with and without SemPLeS.

    python tools/compare.py weaktr --baseline-ckpt A.pth --semples-ckpt B.pth \
        [--data-root data/VOCdevkit/VOC2012] [--out-dir work_dirs/cmp_weaktr]

Names: weaktr, clims (VOC), weaktr_coco, clims_coco, weaktr_coco90 (COCO
2014; data root = the converter's OUT_DIR, e.g. data/coco/semples).

For each side: CAMs over the config's evaluation split (multi-scale + flip,
GT image labels), the seed mIoU over every background threshold (one pass)
at the threshold the config's evaluator selects (``threshold_rule``: the
reference's greedy stop by default), pseudo masks at the side's threshold
(``--crf`` to refine them, with ``--crf-preset`` or each config's
``pseudo_mask_crf`` preset) scored against GT; images are read ahead by
``--workers`` DataLoader workers and masks written off the main thread.
Prints a Markdown table side by side: seed mIoU, mask mIoU and per-class
IoU with the SemPLeS - baseline delta; writes it to
``{out_dir}/comparison.md``. ``--baseline-config`` / ``--semples-config``
replace the pair a name stands for (e.g. the configs of
projects/cooccur_demo). Both
sides must evaluate the same split (checked before any CAM is computed).
"""
import argparse
import functools
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import CheckpointLoader

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.apis import (build_list_dataset, load_config,
                                load_segmentor)
from semples_mmseg.evaluation import CAMSeedMetric, select_threshold
from semples_mmseg.pseudo_masks.dense_crf import CRF_PRESETS, crf_refine_labels
from semples_mmseg.pseudo_masks.export import cam_pass, score_dataset_masks
from semples_mmseg.utils.atomic_files import write_text_atomically
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))  # configs of PAIRS

PAIRS = {
    'weaktr':
    ('configs/weaktr/weaktr_voc.py', 'configs/semples/weaktr_voc.py'),
    'clims': ('configs/clims/clims_voc.py', 'configs/semples/clims_voc.py'),
    'weaktr_coco':
    ('configs/weaktr/weaktr_coco.py', 'configs/semples/weaktr_coco.py'),
    'clims_coco':
    ('configs/clims/clims_coco.py', 'configs/semples/clims_coco.py'),
    'weaktr_coco90':
    ('configs/weaktr/weaktr_coco90.py', 'configs/semples/weaktr_coco90.py'),
}
# the seed sweep's settings taken from the config's test_evaluator
SWEEP_KEYS = ('thresholds', 'threshold_range', 'threshold_rule',
              'ignore_index')
# what must agree between the two sides' evaluation datasets
SAME_SPLIT_KEYS = ('type', 'data_root', 'ann_file', 'data_prefix', 'img_dir',
                   'seg_dir', 'label_file', 'id_space')


def check_same_split(base_cfg: Config, ours_cfg: Config, base_path: str,
                     ours_path: str) -> None:
    """Both sides must be scored on one split: stop before any CAM if not."""
    base = base_cfg.test_dataloader.dataset
    ours = ours_cfg.test_dataloader.dataset
    for key in SAME_SPLIT_KEYS:
        if base.get(key) != ours.get(key):
            raise SystemExit(
                f'the two sides evaluate different data: test_dataloader.'
                f'dataset.{key} is {base.get(key)!r} in {base_path} and '
                f'{ours.get(key)!r} in {ours_path}')


def evaluate_side(config: str, ckpt: str, out_dir: str, args) -> dict:
    """Seed and mask scores of one checkpoint (one pass over the split)."""
    cfg = load_config(config, args.cfg_options)
    dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                 data_root=args.data_root)
    state = CheckpointLoader.load_checkpoint(ckpt, 'cpu')
    model = load_segmentor(cfg.model, state, source=ckpt)
    model.to('cuda' if torch.cuda.is_available() else 'cpu').eval()
    evaluator = cfg.get('test_evaluator', {})
    metric = CAMSeedMetric(
        **{k: evaluator[k] for k in SWEEP_KEYS if k in evaluator})
    metric.dataset_meta = dataset.metainfo
    crf = None
    if args.crf or args.crf_preset:
        preset = args.crf_preset or (cfg.get('pseudo_mask_crf')
                                     or {}).get('preset', 'irnet')
        crf = functools.partial(crf_refine_labels, preset=preset)
    threshold = float(model.test_cfg['bg_threshold'])
    workers = args.workers if args.workers is not None else int(
        cfg.test_dataloader.get('num_workers', 2))
    cam_pass(model, dataset, range(len(dataset)), out_dir=out_dir,
             threshold=threshold, crf=crf, workers=workers,
             on_sample=lambda s: metric.process({}, [s.to_dict()]))
    classes = dataset.metainfo['classes']
    seed_iou, seed_miou = metric.seed_curve(metric.results,
                                            len(classes) - 1)
    seed_iou = seed_iou * 100
    best = select_threshold(seed_miou, metric.threshold_rule)
    masks = score_dataset_masks(out_dir, dataset)
    return dict(
        seed=float(seed_miou[best]),
        seed_threshold=float(metric.thresholds[best]),
        seed_per_class=dict(zip(classes, seed_iou[best].tolist())),
        mask=masks['mIoU'],
        mask_threshold=threshold,
        mask_per_class=masks['per_class'])


def format_iou(value) -> str:
    return '-' if value is None or np.isnan(value) else f'{value:.1f}'


def comparison_markdown(name: str, base: dict, ours: dict) -> str:
    """The side-by-side table (seed / mask mIoU, per-class seed IoU)."""

    def at_threshold(side: dict, key: str) -> str:
        return f"{format_iou(side[key])} (t={side[key + '_threshold']:.2f})"

    rows = [f'| {name} | baseline | +SemPLeS | delta |', '|---|---|---|---|']
    for key in ('seed', 'mask'):
        rows.append(f'| {key} mIoU | {at_threshold(base, key)} | '
                    f'{at_threshold(ours, key)} | '
                    f'{ours[key] - base[key]:+.1f} |')
    for cls, b in base['seed_per_class'].items():
        o = ours['seed_per_class'][cls]
        delta = '-' if np.isnan(b) or np.isnan(o) else f'{o - b:+.1f}'
        rows.append(f'| seed IoU {cls} | {format_iou(b)} | {format_iou(o)} '
                    f'| {delta} |')
    return '\n'.join(rows)


def main():
    apply_thread_policy()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('name', help=f'one of {sorted(PAIRS)} (or any label '
                        'with --baseline-config / --semples-config)')
    parser.add_argument('--baseline-ckpt', required=True)
    parser.add_argument('--semples-ckpt', required=True)
    parser.add_argument('--baseline-config')
    parser.add_argument('--semples-config')
    parser.add_argument('--data-root')
    parser.add_argument('--out-dir')
    parser.add_argument('--crf', action='store_true')
    parser.add_argument('--crf-preset', choices=sorted(CRF_PRESETS),
                        help="the CRF's parameters (implies --crf; default: "
                        "each config's pseudo_mask_crf.preset, else irnet)")
    parser.add_argument('--workers', type=int, help='DataLoader workers '
                        "reading ahead (default: the config's "
                        'test_dataloader.num_workers, else 2; 0: serial)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    # the named pairs are the repository's configs, wherever it runs from
    default = tuple(
        osp.join(REPO, p) for p in PAIRS[args.name]) if args.name in PAIRS \
        else (None, None)
    base_cfg = args.baseline_config or default[0]
    ours_cfg = args.semples_config or default[1]
    if base_cfg is None or ours_cfg is None:
        raise SystemExit(f'unknown baseline {args.name!r}: choose one of '
                         f'{sorted(PAIRS)} or pass both configs')
    for path in (args.baseline_ckpt, args.semples_ckpt):
        if not osp.isfile(path):
            raise SystemExit(f'no such checkpoint: {path}')
    check_same_split(load_config(base_cfg, args.cfg_options),
                     load_config(ours_cfg, args.cfg_options),
                     base_cfg, ours_cfg)
    out = args.out_dir or osp.join('work_dirs', f'compare_{args.name}')
    mask_dirs = [osp.join(out, side) for side in ('baseline_masks',
                                                  'semples_masks')]
    try:
        prepare_output_dirs(*mask_dirs)
    except OutputDirError as exc:
        raise SystemExit(str(exc)) from None
    base = evaluate_side(base_cfg, args.baseline_ckpt, mask_dirs[0], args)
    ours = evaluate_side(ours_cfg, args.semples_ckpt, mask_dirs[1], args)
    table = comparison_markdown(args.name, base, ours)
    print('\n' + table)
    write_text_atomically(table + '\n', osp.join(out, 'comparison.md'))


if __name__ == '__main__':
    main()
