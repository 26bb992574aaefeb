"""The CLIMS pair to the end on the co-occurrence world, in one command.

    python projects/cooccur_demo/tools/clims_route.py \
        [--work-dir work_dirs/cooccur] [--seed 0] \
        [--upto pair|walk|deeplab] [--jobs 1|2] [--small] \
        [--ir-thresholds clims scaled]

On the demo's world and toy CLIP (written or reused as tools/run_demo.py
does), with the repository's own tools and this project's configs:

1. the baseline CAM CLIMS starts from (configs/clims/toy_cam_cooccur.py:
   IRNet's classification CAM), copied to ``clims_route/cam.pth``;
2. CLIMS from it (configs/clims/toy_cooccur.py) and SemPLeS on CLIMS from
   it (configs/semples/clims_toy_cooccur.py), each side's checkpoint chosen
   by seed mIoU on the val split;
3. per side: seed mIoU and home-scene false positives on the val split;
   threshold + dense CRF masks of the train split at the val-chosen
   threshold (``--upto pair`` stops after the seeds);
4. per side, CLIMS's pipeline (tools/irn/): IRNet CAM files of the train
   split -> IR labels -> the boundary branch (tools/train.py
   configs/irn/toy_irn_cooccur.py, its frozen backbone the baseline CAM's)
   -> the random walk's masks, scored on the train split (``--upto walk``
   stops here);
5. per side, DeepLab-V2 (configs/deeplabv2/toy_deeplabv2_cooccur.py)
   trained on the walk's masks, mIoU on the 120 val images.

Steps 4 (from the IR labels) and 5 run once per ``--ir-thresholds``
choice: ``clims``, CLIMS's IR-label and walk thresholds (0.30 / 0.10, 0.2)
as the VOC configs run them; ``scaled``, the same constants mapped to the
side's CAMs, whose seed threshold (chosen on val) is not CLIMS's 0.15
(``cooccur_demo.clims_route.scaled_thresholds``). Default: both.

Prints the table and writes ``{work}/clims_route[/seed{N}]/results.md``
and ``results.json``. Every phase is reused on a rerun when it finished
before with the same inputs, and a training that was interrupted continues
from its newest checkpoint; one progress line per phase shows the ETA, a
timing table closes the run. ``--jobs 2`` runs the two sides (steps 2-5)
in two processes of their own, each logging to
``clims_route[/seed{N}]/{side}.log`` (``--side`` runs one side alone).
``--small``: the test suite's variant (the demo's tiny world, 8 train / 4
val images, one epoch per training).
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from cooccur_demo.clims_route import (IR_THRESHOLDS, LABELS, UPTO,
                                      ClimsRoute, planned_phases,
                                      results_markdown)
from cooccur_demo.experiment import Experiment, log_line
from cooccur_demo.phase_records import Progress
from project_files import DEMO_FILES, ROUTE_FILES

#: the world and the toy CLIP come first (estimated seconds, as run_demo)
SETUP_COST = {'world': 5, 'toy CLIP': 270}


def run_sides_apart(args, folder: str) -> None:
    """``--jobs 2``: this command with ``--side`` for each side, in two
    processes at once; stop naming the log of a side that failed."""
    command = [sys.executable, osp.abspath(__file__), '--work-dir',
               args.work_dir, '--seed', str(args.seed), '--upto', args.upto,
               '--ir-thresholds', *args.ir_thresholds
               ] + (['--small'] if args.small else [])
    running = []
    for side in LABELS:
        log = osp.join(folder, f'{side}.log')
        log_line(f'{LABELS[side]}: in a process of its own, log {log}')
        with open(log, 'w') as f:
            running.append((side, log, subprocess.Popen(
                command + ['--side', side], stdout=f,
                stderr=subprocess.STDOUT)))
    failed = [(side, log) for side, log, proc in running if proc.wait()]
    if failed:
        raise SystemExit('; '.join(f'{LABELS[side]} failed, see {log}'
                                   for side, log in failed))


def main(argv=None):
    apply_thread_policy()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cooccur')
    parser.add_argument('--seed', type=int, default=0,
                        help='randomness.seed of every training')
    parser.add_argument('--upto', choices=UPTO, default='deeplab',
                        help='the last step (default: all of them)')
    parser.add_argument('--jobs', type=int, choices=(1, 2), default=1,
                        help='2: the two sides in two processes at once')
    parser.add_argument('--side', choices=tuple(LABELS),
                        help='run this side only (no table)')
    parser.add_argument('--small', action='store_true')
    parser.add_argument(
        '--ir-thresholds', nargs='+', choices=IR_THRESHOLDS,
        default=list(IR_THRESHOLDS),
        help='the IRNet steps\' thresholds: CLIMS\'s, scaled to the '
        'side\'s CAMs, or both (the default)')
    args = parser.parse_args(argv)
    if args.seed < 0:
        raise SystemExit(f'--seed must be >= 0, got {args.seed}')
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    sides = (args.side, ) if args.side else tuple(LABELS)
    progress = Progress(
        dict(SETUP_COST, **planned_phases(args.upto, sides,
                                          args.ir_thresholds)),
        log=log_line)
    exp = Experiment(args.work_dir, files=DEMO_FILES, small=args.small,
                     progress=progress)
    exp.ensure_world()
    exp.ensure_clip()
    route = ClimsRoute(exp, files=ROUTE_FILES, seed=args.seed,
                       in_process=args.small,
                       ir_thresholds=args.ir_thresholds)
    if args.jobs == 2 and not args.side:
        route.ensure_cam()
        run_sides_apart(args, route.folder)
    results = route.run(args.upto, sides)
    if args.side:
        log_line(f'{LABELS[args.side]}: done')
    else:
        table = results_markdown(results)
        print('\n' + table + '\n')
        with open(osp.join(route.folder, 'results.md'), 'w') as f:
            f.write(table + '\n')
        log_line(f"results in {osp.join(route.folder, 'results.md')}")
    print(progress.timing_report())


if __name__ == '__main__':
    main()
