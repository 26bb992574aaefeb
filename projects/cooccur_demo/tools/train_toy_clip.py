"""Train the toy CLIP on the co-occurrence world (CPU, a few minutes).

    python projects/cooccur_demo/tools/train_toy_clip.py --world DIR
    python projects/cooccur_demo/tools/train_toy_clip.py --world DIR \
        --out toy_clip.pt --epochs 5 --seed 0

Trains (or reuses from the cache) the toy CLIP of ``--config`` (its
``model.clip_guide.model_cfg``; default the demo's SemPLeS config) with
``cooccur_demo.toy_clip_training`` (what it learns, where it is cached) and
prints its path and zero-shot metrics as JSON.
"""
import argparse
import json

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from cooccur_demo.toy_clip import clip_model_cfg
from cooccur_demo.toy_clip_training import DEFAULT_TRAIN, ensure_toy_clip
from project_files import DEMO_FILES


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--world', help='folder written by make_world.py '
                   '(default: renders only, default world parameters)')
    p.add_argument('--out', help='weights file (default: the cache)')
    p.add_argument('--config', default=DEMO_FILES.semples_config,
                   help='the config whose model.clip_guide.model_cfg is '
                   'trained (default: the demo\'s SemPLeS config)')
    p.add_argument('--epochs', type=float, default=DEFAULT_TRAIN['epochs'])
    p.add_argument('--steps', type=int, default=None,
                   help='optimiser steps (overrides --epochs)')
    p.add_argument('--seed', type=int, default=DEFAULT_TRAIN['seed'])
    for key in ('batch_size', 'num_layouts', 'num_world', 'threads'):
        p.add_argument('--' + key.replace('_', '-'), type=int,
                       default=DEFAULT_TRAIN[key])
    p.add_argument('--lr', type=float, default=DEFAULT_TRAIN['lr'])
    p.add_argument('--image-size', type=int, default=None,
                   help='render side without --world (default '
                   f'{DEFAULT_TRAIN["image_size"]})')
    p.add_argument('--cooccur-prob', type=float, default=None,
                   help='without --world (default '
                   f'{DEFAULT_TRAIN["cooccur_prob"]})')
    p.add_argument('--eval-layouts', type=int, default=300,
                   help='held-out single-object layouts for the zero-shot '
                   'report (0: skip)')
    p.add_argument('--force', action='store_true',
                   help='train even when the file exists')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    overrides = {
        k: getattr(args, k)
        for k in ('epochs', 'steps', 'batch_size', 'num_layouts',
                  'num_world', 'image_size', 'seed', 'threads', 'lr',
                  'cooccur_prob') if getattr(args, k) is not None
    }
    result = ensure_toy_clip(
        model_cfg=clip_model_cfg(args.config), world=args.world,
        out=args.out, force=args.force, eval_layouts=args.eval_layouts,
        **overrides)
    print(json.dumps(dict(path=result['path'], trained=result['trained'],
                          metrics=result['metrics']), indent=1))


if __name__ == '__main__':
    main()
