"""Fuse two models' test probabilities: FMA-WSSS's optional ensemble.

    python tools/analysis_tools/ensemble_probs.py FIRST_DIR SECOND_DIR \
        --out-dir DIR [--weight 0.85] [--config CONFIG [--ann-file LIST]]

FIRST_DIR and SECOND_DIR hold one ``{id}.npz`` per test image (``prob``
(C, H, W), ``classes`` (C,)), as ``SaveProbabilitiesHook`` writes them
during ``tools/test.py``::

    python tools/test.py CONFIG CKPT --cfg-options \
        "custom_hooks=[dict(type='SaveProbabilitiesHook',out_dir='work_dirs/probs_a')]"

Each pixel takes the class of the largest weight * P_first + (1 - weight) *
P_second, a model adding nothing to a class its file lacks (background
included: ``semples_mmseg/apis/probability_ensemble.py``). FMA-WSSS's code
fuses its own model (weight 0.85) with a SemPLeS-seeded one; the paper does
not report an ensemble, so report its score apart from single models.
``DIR/{id}.png`` holds the fused labels; with ``--config`` they are scored
against the GT of the config's ``test_dataloader`` dataset
(``DIR/scores.json``).
"""
# before anything imports torch: the OpenMP defaults are read once, when torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.utils import ProgressBar, mkdir_or_exist

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import build_list_dataset, load_config
from semples_mmseg.apis.probability_ensemble import (ensemble_labels,
                                                     load_probabilities)
from semples_mmseg.pseudo_masks.export import (gt_pairs, mask_path,
                                               save_scores, score_masks,
                                               scores_markdown,
                                               write_png_atomically)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('first_dir')
    parser.add_argument('second_dir')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--weight', type=float, default=0.85,
                        help="the first model's share")
    parser.add_argument('--config', help='score against its test dataset')
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    apply_thread_policy()
    if not 0.0 <= args.weight <= 1.0:
        raise SystemExit(f'--weight must be in [0, 1], got {args.weight}')
    names = sorted(f for f in os.listdir(args.first_dir)
                   if f.endswith('.npz'))
    if not names:
        raise SystemExit(f'{args.first_dir} holds no .npz probability files')
    missing = [n for n in names
               if not osp.isfile(osp.join(args.second_dir, n))]
    if missing:
        raise SystemExit(f'{len(missing)} file(s) of {args.first_dir} have '
                         f'no counterpart in {args.second_dir}, e.g. '
                         f'{osp.join(args.second_dir, missing[0])}')
    pairs = []
    if args.config:
        register_all_modules(init_default_scope=True)
        cfg = load_config(args.config, args.cfg_options)
        dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                     ann_file=args.ann_file)
        pairs = gt_pairs(dataset)
        absent = [p for p, _ in pairs if osp.splitext(osp.basename(p))[0]
                  + '.npz' not in set(names)]
        if absent:
            raise SystemExit(f'{len(absent)} image(s) of the dataset have no '
                             f'probabilities in {args.first_dir}, e.g. '
                             f'{absent[0]}')

    mkdir_or_exist(args.out_dir)
    bar = ProgressBar(len(names))
    for name in names:
        first = load_probabilities(osp.join(args.first_dir, name))
        second = load_probabilities(osp.join(args.second_dir, name))
        try:
            label = ensemble_labels(first, second, weight=args.weight)
        except ValueError as exc:
            raise SystemExit(f'{name}: {exc}') from None
        write_png_atomically(label.astype('uint8'),
                             mask_path(args.out_dir, name))
        bar.update()
    print(f'\n{len(names)} fused label maps in {args.out_dir} '
          f'(weight {args.weight} on {args.first_dir})')
    if pairs:
        scores = score_masks(args.out_dir, pairs, dataset.metainfo['classes'])
        scores['ensemble'] = dict(first=args.first_dir, second=args.second_dir,
                                  weight=args.weight)
        print('\n' + scores_markdown(scores))
        print(f'scores written to {save_scores(scores, args.out_dir)}')


if __name__ == '__main__':
    main()
