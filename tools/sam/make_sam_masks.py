"""Write SAM's masks for every image of a split, as FMA-WSSS makes them.

    python tools/sam/make_sam_masks.py CONFIG --sam-checkpoint FILE \
        --out-dir DIR [--sam-variant vit_h] [--ann-file LIST] \
        [--points-per-batch 64] [--resume | --overwrite] [--workers 2] \
        [--launcher pytorch]
    python tools/sam/make_sam_masks.py CONFIG --slic 400 100 25 --out-dir DIR

The images are those of the config's ``test_dataloader`` dataset (any
dataset config of ours; ``--ann-file`` picks another id list of the same
layout, e.g. ``ImageSets/Segmentation/train_aug.txt``). Per image, SAM's
automatic masks with FMA's level-aware settings and rock-sand-water filter
(``semples_mmseg/pseudo_masks/sam_masks.py``) go to ``DIR/{id}.npz``
(bit-packed masks, level, scores, box; ``region_masks_io.py``). The SAM
checkpoint is checked before the first image: a file of another variant is
refused, naming it. ``--slic`` writes multi-level SLIC superpixels instead
(no model, runs on a CPU; a stand-in for SAM, not FMA's masks).

Streaming and resumable like ``tools/make_pseudo_masks.py``: ``--workers``
DataLoader workers decode images ahead, the model runs in the main process,
writer threads compress and write, atomically; ``--resume`` keeps every
complete file and refuses other settings (``DIR/pseudo_mask_settings.json``);
under ``tools/dist_*``-style launchers each rank takes a shard.
"""
# before anything imports torch: the OpenMP defaults are read once, when torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import argparse
import hashlib
import os
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.dist import barrier, get_dist_info

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import build_list_dataset, load_config
from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                  prepare_launch,
                                                  start_process_group)
from semples_mmseg.pseudo_masks.export import (TEMPORARY,
                                               check_or_record_settings,
                                               remove_temporaries)
from semples_mmseg.pseudo_masks.region_export import (pending_region_indices,
                                                      region_pass)
from semples_mmseg.pseudo_masks.region_masks_io import RegionMasks
from semples_mmseg.utils.atomic_files import exit_on_full_disk
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--sam-checkpoint', help='SAM weights (file or URL)')
    source.add_argument('--slic', type=int, nargs='+', metavar='N',
                        help='SLIC superpixel counts, one level each '
                        '(instead of SAM)')
    parser.add_argument('--sam-variant', default='vit_h',
                        choices=['vit_h', 'vit_l', 'vit_b'])
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    parser.add_argument('--points-per-batch', type=int, default=64,
                        help='point prompts per SAM decoder batch (memory)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written files, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every file of a non-empty out-dir')
    parser.add_argument('--workers', type=int, default=2,
                        help='DataLoader workers decoding images (0: serial)')
    parser.add_argument('--device', help='default: cuda if available')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def build_region_maker(args, device):
    """(image -> RegionMasks, the settings that define the files)."""
    if args.slic:
        from semples_mmseg.pseudo_masks.superpixel_regions import \
            slic_regions
        counts = tuple(args.slic)
        return (lambda image: slic_regions(image, n_segments=counts),
                dict(source='slic', n_segments=list(counts)))
    from semples_mmseg.pseudo_masks.sam_checkpoint import build_sam
    from semples_mmseg.pseudo_masks.sam_masks import LevelAwareMaskGenerator
    try:
        model = build_sam(args.sam_variant, args.sam_checkpoint)
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(str(exc)) from None
    generator = LevelAwareMaskGenerator(
        model=model.to(device).eval(),
        points_per_batch=args.points_per_batch)
    settings = dict(
        source='sam', variant=args.sam_variant,
        checkpoint=osp.basename(args.sam_checkpoint),
        **{key: getattr(generator, key) for key in (
            'pred_iou_thresh', 'stability_score_thresh',
            'stability_score_offset', 'box_nms_thresh', 'crop_n_layers',
            'crop_nms_thresh', 'crop_overlap_ratio',
            'crop_n_points_downscale_factor', 'min_mask_region_area',
            'rock_sand_water_thresh')},
        points=[len(grid) for grid in generator.point_grids],
        level_iou_offsets=generator.level_iou_offsets.tolist(),
        level_nms_offsets=generator.level_nms_offsets.tolist())

    def make_regions(image):
        return RegionMasks.from_records(generator.generate(image),
                                        image.shape[:2])

    return make_regions, settings


def main():
    args = parse_args()
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    prepare_launch(cfg, args.launcher)
    start_process_group(cfg)  # as the Runner would: env_cfg.dist_cfg
    rank, world = get_dist_info()

    dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                 ann_file=args.ann_file)
    img_paths = [dataset.get_data_info(i)['img_path']
                 for i in range(len(dataset))]
    out = args.out_dir
    written = [f for f in os.listdir(out) if f.endswith('.npz')
               and not TEMPORARY.search(f)] if osp.isdir(out) else []
    if written and not (args.resume or args.overwrite):
        raise SystemExit(f'{out} already holds {len(written)} mask files: '
                         'pass --resume to continue or --overwrite to redo')
    if args.workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {args.workers}')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    make_regions, settings = build_region_maker(args, device)
    settings.update(
        dataset=type(dataset).__name__,
        ann_file=osp.basename(getattr(dataset, 'ann_file', '') or ''),
        image_ids_sha256=hashlib.sha256('\n'.join(
            osp.basename(p) for p in img_paths).encode()).hexdigest())
    def open_out_dir():  # rank 0, once the folder exists on every rank
        check_or_record_settings(out, settings, resume=args.resume)
        for path in remove_temporaries(out):  # left by a killed run
            print(f'removed the unfinished {path}', flush=True)

    try:
        prepare_output_dirs(out, main_process_step=open_out_dir)
    except OutputDirError as exc:
        finish_launch()
        raise SystemExit(str(exc)) from None
    todo = list(range(len(img_paths))) if args.overwrite else \
        pending_region_indices(img_paths, out)
    if rank == 0:
        print(f'{len(todo)} of {len(img_paths)} images to do '
              f'({settings["source"]}, {world} process(es), '
              f'{args.workers} loader worker(s) each)', flush=True)
    with exit_on_full_disk(out):
        counts = region_pass(make_regions, img_paths, todo[rank::world],
                             out_dir=out, workers=args.workers,
                             progress=rank == 0)
    barrier()
    if counts['images']:
        print(f'\nrank {rank}: {counts["images"]} images, '
              f'{counts["masks"] / counts["images"]:.1f} masks per image, '
              f'{counts["images_without_masks"]} without any mask',
              flush=True)
    finish_launch()


if __name__ == '__main__':
    main()
