"""FMA-WSSS's SAM-based seeding on the co-occurrence world, with SLIC
superpixels standing in for SAM's masks.

    python projects/cooccur_demo/tools/sam_route.py --from work_dirs/cooccur \
        [--work-dir work_dirs/cooccur/sam_route] \
        [--ann-file ImageSets/Segmentation/train.txt] [--slic 400 100 25] \
        [--gammas 0.5 0.6 0.7 0.8 0.9 1 1.5 2 3 4] [--gamma 0.7]

``--from`` is a finished demo folder (``tools/run_demo.py``): its world, the
WeakTr baseline (``weaktr/baseline.pth``) and SemPLeS after stage 3
(``semples/best_stage3.pth``), read only; each side's background threshold
is the one the demo's table chose (``results.json``). For both networks on
the split (default: the world's 600 train images, which have GT masks):

1. threshold masks and their CAMs (the library's CAM export, as
   ``tools/make_pseudo_masks.py --save-cams`` runs it), then threshold +
   dense CRF masks of the same CAMs (``--crf``);
2. SLIC superpixels at three scales as three levels, once for the split
   (as ``tools/sam/make_sam_masks.py --slic``): a stand-in region source,
   NOT SAM's masks;
3. SAM-based seeds from those regions and the CAMs, per gamma (as
   ``tools/sam/make_sam_seeds.py``);
4. the mask mIoU of each folder against the GT.

Prints and writes ``WORK_DIR/results_slic400-100-25.md`` (named by the
SLIC scales: the table at ``--gamma``, FMA-WSSS's fine VOC exponent 0.7 by
default, the gamma sweep and per-class IoU) and ``.json``. A rerun reuses
every finished step (``phase.json`` in each folder records what it was made
from) and redoes only what changed; runs with other ``--slic`` scales share
the work folder and its CAM steps.
"""
# before anything imports torch: the OpenMP defaults are read once, when torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import argparse
import json
import os
import os.path as osp
import time

from cooccur_demo.experiment import log_line
from cooccur_demo.sam_route import (DEFAULT_GAMMAS, DEFAULT_SLIC, VOC_GAMMA,
                                    SamRoute, demo_sides,
                                    route_input_problems, route_tables,
                                    slic_name)
from project_files import DEMO_FILES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--from', dest='from_dir', required=True,
                        help='a finished demo folder (read only)')
    parser.add_argument('--work-dir',
                        help='where the steps write (default: '
                        'FROM/sam_route)')
    parser.add_argument('--ann-file',
                        default='ImageSets/Segmentation/train.txt',
                        help="the split's id list, relative to the world")
    parser.add_argument('--slic', type=int, nargs='+', metavar='N',
                        default=list(DEFAULT_SLIC),
                        help='SLIC superpixel counts, one level each (the '
                        'last is painted on top)')
    parser.add_argument('--gammas', type=float, nargs='+',
                        default=list(DEFAULT_GAMMAS),
                        help='background exponents of the seeding')
    parser.add_argument('--gamma', type=float, default=VOC_GAMMA,
                        help='the exponent of the main table (FMA-WSSS VOC '
                        'fine seeds: 0.7)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    import cooccur_demo  # noqa: F401  (registers the world's dataset)

    start = time.time()
    world = osp.join(args.from_dir, 'world')
    work_dir = args.work_dir or osp.join(args.from_dir, 'sam_route')
    gammas = sorted(set(args.gammas) | {args.gamma})
    sides = demo_sides(args.from_dir,
                       baseline_config=DEMO_FILES.baseline_config,
                       semples_config=DEMO_FILES.semples_config)
    problems = route_input_problems(world, args.ann_file, sides, args.slic,
                                    gammas)
    if problems:
        raise SystemExit(f'{len(problems)} input problem(s), nothing '
                         'written:\n  ' + '\n  '.join(problems))
    for side in sides:
        log_line(
            f'{side.name}: {side.checkpoint}, threshold {side.threshold:.2f} '
            f'({side.threshold_source})')
    route = SamRoute(world=world,
                     sides=sides,
                     work_dir=work_dir,
                     ann_file=args.ann_file,
                     n_segments=args.slic,
                     gammas=gammas,
                     log=log_line)
    results = route.run()
    tables = route_tables(results, gamma=args.gamma, n_segments=args.slic)
    load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
    footer = (f'Split {args.ann_file} of {world}; '
              f'{time.strftime("%Y-%m-%d %H:%M %Z")}, {os.cpu_count()} CPUs, '
              f'load average {load}, {time.time() - start:.0f} s.')
    print('\n' + tables + '\n\n' + footer)
    os.makedirs(work_dir, exist_ok=True)
    stem = osp.join(work_dir, f'results_{slic_name(args.slic)}')
    with open(stem + '.md', 'w') as f:
        f.write(tables + '\n\n' + footer + '\n')
    with open(stem + '.json', 'w') as f:
        json.dump(dict(results, slic=args.slic, gamma=args.gamma,
                       ann_file=args.ann_file), f, indent=1)
    log_line(f'results in {stem}.md')


if __name__ == '__main__':
    main()
