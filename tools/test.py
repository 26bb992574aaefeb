"""Test (and export) a model; the CLI of mmseg's tools/test.py.

``--out DIR`` writes the predicted label maps as PNGs. For SemPLeS models
these are the seed label maps at the background threshold
``model.test_cfg.bg_threshold``, or at
``--cfg-options test_evaluator.output_threshold=T``; the log and
``DIR/label_maps.json`` say which threshold the files use and, where the
split has masks, the files' own mIoU next to the threshold the sweep
selects (the two differ unless the config's threshold is the selected one).
"""
import argparse
import os
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                  prepare_launch,
                                                  start_process_group)
from semples_mmseg.models.segmentors.checkpoint_compat import \
    IncompatibleCheckpointError
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)
from semples_mmseg.utils.preflight import (MissingInputsError,
                                           check_config_inputs)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='where the evaluation results are dumped as json')
    parser.add_argument(
        '--out',
        type=str,
        help='directory to save the predicted label maps (SemPLeS: at '
        'model.test_cfg.bg_threshold or test_evaluator.output_threshold; '
        'label_maps.json there says which)')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory where painted images are saved')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
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
    parser.add_argument(
        '--tta', action='store_true', help='test time augmentation')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg: Config, args) -> Config:
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise RuntimeError('--show / --show-dir need a visualization hook in '
                           "default_hooks (dict(type='SegVisualizationHook'))")
    hooks.visualization['draw'] = True
    if args.show:
        hooks.visualization['show'] = True
        hooks.visualization['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def evaluator_output_dirs(evaluator) -> list:
    """The ``output_dir`` of each metric of a ``test_evaluator`` (a dict or
    a list of dicts)."""
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator]
    return [m.get('output_dir') for m in metrics if isinstance(m, dict)]


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
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        missing = [k for k in ('tta_model', 'tta_pipeline')
                   if cfg.get(k) is None]
        if missing:
            raise SystemExit(
                f'--tta needs {" and ".join(missing)} in {args.config}: our '
                "CAM configs inherit tta_model=dict(type='SemPLeSTTAModel') "
                'and tta_pipeline from configs/_base_ (the views are the '
                "segmentor's multi-scale + flip inference); stock mmseg "
                'configs define SegTTAModel and a TestTimeAug pipeline')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
        chosen = cfg.test_evaluator.get('output_threshold')
        source = 'test_evaluator.output_threshold'
        if chosen is None:
            chosen = cfg.model.get('test_cfg', {}).get('bg_threshold')
            source = 'model.test_cfg.bg_threshold'
        if chosen is not None:
            print_log(f'--out {args.out}: label maps at background threshold '
                      f'{chosen} ({source}); choose another with '
                      '--cfg-options test_evaluator.output_threshold=T',
                      logger='current')
    try:  # the test split and the checkpoint, before anything is built
        check_config_inputs(cfg, 'test', name=args.config)
    except MissingInputsError as exc:
        raise SystemExit(str(exc)) from None
    prepare_launch(cfg, cfg.launcher)
    start_process_group(cfg)
    try:  # on every rank before any rank writes (metrics make them on rank 0)
        prepare_output_dirs(
            args.out, args.show_dir,
            *evaluator_output_dirs(cfg.get('test_evaluator', {})))
    except OutputDirError as exc:
        finish_launch()
        raise SystemExit(str(exc)) from None
    runner = Runner.from_cfg(cfg)
    try:
        runner.test()
    except IncompatibleCheckpointError as exc:  # the file, named here
        raise exc.naming(args.checkpoint) from None
    finish_launch(runner)


if __name__ == '__main__':
    main()
