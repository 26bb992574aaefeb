"""IRNet route, step 4: semantic pseudo masks by the random walk, scored.

    python tools/irn/make_sem_seg.py CONFIG CHECKPOINT [--cam-dir DIR] \
        [--out-dir DIR] [--ann-file LIST] [--resume | --overwrite] \
        [--workers 2] [--launcher pytorch]

CONFIG is an IRNet config (``configs/irn/``) and CHECKPOINT its trained
boundary network (step 3, ``tools/train.py CONFIG``). For each image of
``pseudo_mask_dataset``: the flip-averaged boundary map, the random walk of
the stride-4 CAMs of ``cam_dir`` with the config's ``random_walk``
constants, ``DIR/{image id}.png`` (uint8 0 background, k + 1 class k;
``semples_mmseg/pseudo_masks/irn_sem_seg.py``). Images without classes are
written as background and listed. Then the masks of ``score_dataset``
(VOC: train, 1464 images, VOC's masks) are scored as CLIMS scores them
(mIoU over background + classes): a Markdown table and ``DIR/scores.json``.
Every CAM file is checked before the first image; resumable and streaming
like the other steps.
"""
import argparse
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import torch
from mmengine.config import DictAction
from mmengine.dist import barrier, get_dist_info
from mmengine.runner import CheckpointLoader

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import (build_list_dataset, load_config,
                                load_segmentor)
from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                  prepare_launch,
                                                  start_process_group)
from semples_mmseg.pseudo_masks.export import (gt_pairs, mask_path,
                                               png_complete, save_scores,
                                               score_masks, scores_markdown)
from semples_mmseg.pseudo_masks.irn_cam_files import (check_irn_cam_files,
                                                      read_cam_settings)
from semples_mmseg.pseudo_masks.irn_sem_seg import WalkSettings, sem_seg_pass
from semples_mmseg.pseudo_masks.step_dirs import (image_ids_sha256,
                                                  open_step_dir, pending)
from semples_mmseg.utils.atomic_files import exit_on_full_disk
from semples_mmseg.utils.fingerprint import tensor_fingerprint
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)

MAX_LISTED = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an IRNet config (configs/irn/)')
    parser.add_argument('checkpoint', help='the trained boundary network')
    parser.add_argument('--cam-dir', help="step 1's CAM files (default: the "
                        "config's cam_dir)")
    parser.add_argument('--out-dir', help="default: the config's "
                        'sem_seg_dir')
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written masks, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every mask of a non-empty out-dir')
    parser.add_argument('--workers', type=int, default=2,
                        help='DataLoader workers reading ahead (0: serial)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def background_only(dataset) -> list:
    """Image paths of ``dataset`` whose image-level labels are all 0."""
    infos = (dataset.get_data_info(i) for i in range(len(dataset)))
    return [d['img_path'] for d in infos
            if d.get('img_labels') is not None and not d['img_labels'].any()]


def score(cfg, out: str) -> None:
    """Score the written masks of ``cfg.score_dataset`` (if any)."""
    if not cfg.get('score_dataset'):
        return
    dataset = build_list_dataset(cfg.score_dataset)
    pairs = gt_pairs(dataset)
    missing = [p for p, _ in pairs if not png_complete(mask_path(out, p))]
    if missing:
        print(f'not scored: {len(missing)} images of the score list '
              f'({dataset.ann_file}) have no mask in {out}, e.g. '
              f'{missing[0]}')
        return
    scores = score_masks(out, pairs, dataset.metainfo['classes'])
    print('\n' + scores_markdown(scores))
    print(f'scores written to {save_scores(scores, out)}')


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    try:
        walk = WalkSettings(**cfg.random_walk)
    except TypeError as exc:
        raise SystemExit(f'random_walk: {exc}') from None
    if args.workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {args.workers}')
    prepare_launch(cfg, args.launcher)
    start_process_group(cfg)  # as the Runner would: env_cfg.dist_cfg
    rank, world = get_dist_info()

    # ---- everything that can be wrong is checked before the first image
    cam_dir = args.cam_dir or cfg.cam_dir
    out = args.out_dir or cfg.sem_seg_dir
    dataset = build_list_dataset(cfg.pseudo_mask_dataset,
                                 ann_file=args.ann_file)
    ckpt = CheckpointLoader.load_checkpoint(args.checkpoint, 'cpu')
    model = load_segmentor(cfg.model, ckpt, source=args.checkpoint)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    img_paths = [dataset.get_data_info(i)['img_path']
                 for i in range(len(dataset))]
    settings = dict(
        walk.asdict(),
        boundary=dict(model.test_cfg),
        checkpoint_fingerprint=tensor_fingerprint(
            ckpt.get('state_dict', ckpt)),
        cams=read_cam_settings(cam_dir),
        image_ids_sha256=image_ids_sha256(img_paths))
    todo = list(range(len(dataset))) if args.overwrite else pending(
        img_paths, lambda p: mask_path(out, p), png_complete)

    def open_out_dir():  # rank 0, once the folder exists on every rank
        removed = open_step_dir(out, settings, ext='.png',
                                resume=args.resume, overwrite=args.overwrite)
        check_irn_cam_files(dataset, todo, cam_dir)
        for path in removed:
            print(f'removed the unfinished {path}', flush=True)
        print(f'{len(todo)} of {len(dataset)} masks to write ({walk}, '
              f'{world} process(es), {args.workers} loader worker(s) '
              'each)', flush=True)

    try:
        prepare_output_dirs(out, main_process_step=open_out_dir)
    except OutputDirError as exc:
        finish_launch()
        raise SystemExit(str(exc)) from None
    with exit_on_full_disk(out):
        sem_seg_pass(model, dataset, todo[rank::world], cam_dir=cam_dir,
                     out_dir=out, settings=walk, progress=rank == 0,
                     workers=args.workers,
                     seed=int(cfg.get('randomness', {}).get('seed') or 0))
    barrier()
    if rank == 0:
        empty = background_only(dataset)
        if empty:
            shown = ', '.join(osp.basename(p) for p in empty[:MAX_LISTED])
            print(f'{len(empty)} image(s) have no image-level class and are '
                  f'all background: {shown}'
                  f'{" ..." if len(empty) > MAX_LISTED else ""}')
        score(cfg, out)
    finish_launch()


if __name__ == '__main__':
    main()
