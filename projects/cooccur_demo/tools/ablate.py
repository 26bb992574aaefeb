"""The paper's ablation tables on the co-occurrence world, over seeds.

    python projects/cooccur_demo/tools/ablate.py TABLE --seeds N [--small]
        [--work-dir DIR]
        [--selection greedy|max] [--first-seed 0] [--jobs J]

TABLE: table4 (loss combinations), table5 (lambda sweep), table6 (training
schemes), controls (manual / image home-scene prompts). Runs every row of
the table for seeds first-seed ... first-seed + N - 1 (the rows' configs are
the project's configs/semples/ablations/), reusing finished runs (same config, seed
and inputs) and the world, toy CLIP and WeakTr baseline of the demo when the
work dir is the demo's. Prints one progress line per run with an ETA, then
the table as Markdown: per row the seed mIoU of every seed, mean and std,
the paired difference to the reference row per seed with its 95% Student-t
interval, and the home-scene false-positive rates; writes
{work}/ablate/{TABLE}.md, .json and .png (bars with error bars).
``--jobs J`` trains J seeds at once, each in its own process with one torch
thread (on 2 cores: ``--jobs 2``); the table is then assembled from the
finished runs. ``--small`` is the test suite's variant (tiny world, one
epoch per stage).
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from cooccur_demo.ablation import TABLES, run_job
from cooccur_demo.experiment import Experiment
from project_files import DEMO_FILES


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('table', choices=sorted(TABLES))
    p.add_argument('--seeds', type=int, default=5, help='how many seeds')
    p.add_argument('--first-seed', type=int, default=0)
    p.add_argument('--small', action='store_true')
    p.add_argument('--work-dir', default='work_dirs/cooccur')
    p.add_argument('--selection', choices=('greedy', 'max'), default='greedy',
                   help='seed-threshold selection (CAMSeedMetric)')
    p.add_argument('--jobs', type=int, default=1,
                   help='seeds trained at once (one process and one torch '
                   'thread each)')
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f'--seeds must be >= 1, got {args.seeds}')
    return args


def train_seeds_in_parallel(args, seeds) -> None:
    """The shared phases here, then one child process per seed (at most
    ``--jobs`` at a time, OMP_NUM_THREADS=1); their runs are reused after."""
    exp = Experiment(args.work_dir, files=DEMO_FILES, small=args.small)
    exp.ensure_world()
    exp.ensure_clip()
    exp.ensure_baseline()
    env = dict(os.environ, OMP_NUM_THREADS='1')
    pending, running = list(seeds), []
    while pending or running:
        while pending and len(running) < args.jobs:
            seed = pending.pop(0)
            cmd = [sys.executable, osp.abspath(__file__), args.table,
                   '--seeds', '1', '--first-seed', str(seed), '--work-dir',
                   args.work_dir, '--selection', args.selection] + (
                       ['--small'] if args.small else []) + ['--child']
            running.append((seed, subprocess.Popen(cmd, env=env)))
        seed, proc = running.pop(0)
        if proc.wait() != 0:
            raise SystemExit(f'seed {seed} failed (exit {proc.returncode})')


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.jobs > 1 and len(seeds) > 1:
        train_seeds_in_parallel(args, seeds)
    job = run_job(args.table, seeds, work_dir=args.work_dir,
                  files=DEMO_FILES, small=args.small, selection=args.selection,
                  write=not args.child)
    if args.child:  # one seed of --jobs: the parent writes the table
        return
    print('\n' + job['markdown'] + '\n')
    print('Times (' + ('--small, ' if args.small else '') +
          f'{len(seeds)} seeds):\n' + job['timings'] + '\n')
    print('wrote ' + ', '.join(job['paths'].values()))


if __name__ == '__main__':
    main()
