"""Train a model; the CLI of mmseg's tools/train.py (our modules registered)."""
import argparse
import logging
import os
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.engine.cpu_distributed import finish_launch, prepare_launch
from semples_mmseg.engine.exact_resume.resume_checkpoint import \
    resolve_resume_checkpoint
from semples_mmseg.models.segmentors.checkpoint_compat import \
    IncompatibleCheckpointError
from semples_mmseg.utils.atomic_files import naming_full_disk
from semples_mmseg.utils.preflight import (MissingInputsError,
                                           check_config_inputs)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value (xxx=yyy format)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    apply_thread_policy()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp and not torch.cuda.is_available():
        raise SystemExit('--amp needs a GPU: mmengine\'s AmpOptimWrapper '
                         'runs on cuda / npu / mlu / musa, this host has none')
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config',
                      logger='current', level=logging.WARNING)
        else:
            if wrapper != 'OptimWrapper':
                raise ValueError('--amp works with optim_wrapper.type '
                                 f"'OptimWrapper', the config has {wrapper!r}")
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    if args.resume and not cfg.get('load_from'):
        # this work dir's own latest checkpoint, also when it was moved
        cfg.load_from = resolve_resume_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
    try:  # every input at once, before anything is built
        check_config_inputs(cfg, 'train', name=args.config)
    except MissingInputsError as exc:
        raise SystemExit(str(exc)) from None
    prepare_launch(cfg, cfg.launcher)
    with naming_full_disk(cfg.work_dir):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
            else RUNNERS.build(cfg)
        try:
            runner.train()
        except IncompatibleCheckpointError as exc:  # load_from, named here
            raise exc.naming(cfg.load_from) from None
    finish_launch(runner)


if __name__ == '__main__':
    main()
