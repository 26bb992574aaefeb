"""IRNet route, step 1: the CAMs IRNet reads, for every image of a split.

    python tools/irn/make_irn_cams.py CONFIG CHECKPOINT --out-dir DIR \
        [--ann-file ImageSets/Segmentation/trainaug.txt] \
        [--resume | --overwrite] [--workers 2] [--launcher pytorch]

CONFIG and CHECKPOINT are a CAM model's (a CLIMS or SemPLeS-on-CLIMS
config and its checkpoint; only the CAM network is built). For each image
of the config's ``test_dataloader`` dataset (``--ann-file``: another list of
the same layout), CLIMS / IRNet's ``make_cam`` at the model's test scales
and flip, for the image's GT image-level classes, writes
``DIR/{image id}.npz`` (``keys``, ``high_res``, ``cam_s4``:
``semples_mmseg/pseudo_masks/irn_cam_files.py``). Streams and resumes like
``tools/make_pseudo_masks.py``; ``DIR/pseudo_mask_settings.json`` records
the weights, views and classes, and the next steps check the files against
it before they start.
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
from semples_mmseg.models.segmentors.cam_inference import CAMInferenceSettings
from semples_mmseg.pseudo_masks.export import checkpoint_num_classes
from semples_mmseg.pseudo_masks.irn_cam_files import (irn_cam_path,
                                                      npz_complete)
from semples_mmseg.pseudo_masks.irn_cams import irn_cam_pass
from semples_mmseg.pseudo_masks.step_dirs import (image_ids_sha256,
                                                  open_step_dir, pending)
from semples_mmseg.utils.atomic_files import exit_on_full_disk
from semples_mmseg.utils.fingerprint import tensor_fingerprint
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the CAM model config')
    parser.add_argument('checkpoint', help='the CAM model checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written files, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every file of a non-empty out-dir')
    parser.add_argument('--workers', type=int,
                        help='DataLoader workers reading ahead (default: the '
                        "config's test_dataloader.num_workers, else 2)")
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    prepare_launch(cfg, args.launcher)
    start_process_group(cfg)  # as the Runner would: env_cfg.dist_cfg
    rank, world = get_dist_info()

    # ---- everything that can be wrong is checked before the first image
    dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                 ann_file=args.ann_file,
                                 image_labels_for='CAMs')
    classes = list(dataset.metainfo['classes'])
    ckpt = CheckpointLoader.load_checkpoint(args.checkpoint, 'cpu')
    state = ckpt.get('state_dict', ckpt)
    ckpt_classes = checkpoint_num_classes(state)
    if ckpt_classes is not None and ckpt_classes != len(classes) - 1:
        raise SystemExit(f'{args.checkpoint} has a CAM network for '
                         f'{ckpt_classes} classes, the dataset has '
                         f'{len(classes) - 1}')
    workers = args.workers if args.workers is not None else int(
        cfg.test_dataloader.get('num_workers', 2))
    if workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {workers}')
    model = load_segmentor(cfg.model, ckpt, source=args.checkpoint)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    views = CAMInferenceSettings.from_test_cfg(model.test_cfg)
    img_paths = [dataset.get_data_info(i)['img_path']
                 for i in range(len(dataset))]
    settings = dict(
        checkpoint_fingerprint=tensor_fingerprint(
            {k: v for k, v in state.items() if k.startswith('cam_net.')}),
        scales=list(views.scales),
        flip=views.flip,
        stride=views.stride,
        view_resize=views.view_resize,
        max_view_pixels=views.max_view_pixels,
        dataset=type(dataset).__name__,
        ann_file=osp.basename(dataset.ann_file),
        image_ids_sha256=image_ids_sha256(img_paths),
        classes=classes)
    out = args.out_dir

    def open_out_dir():  # rank 0, once the folder exists on every rank
        for path in open_step_dir(out, settings, ext='.npz',
                                  resume=args.resume,
                                  overwrite=args.overwrite):
            print(f'removed the unfinished {path}', flush=True)

    try:
        prepare_output_dirs(out, main_process_step=open_out_dir)
    except OutputDirError as exc:
        finish_launch()
        raise SystemExit(str(exc)) from None
    todo = list(range(len(dataset))) if args.overwrite else pending(
        img_paths, lambda p: irn_cam_path(out, p), npz_complete)
    if rank == 0:
        print(f'{len(todo)} of {len(dataset)} CAM files to write (scales '
              f'{list(views.scales)}, flip {views.flip}, {world} '
              f'process(es), {workers} loader worker(s) each)', flush=True)
    with exit_on_full_disk(out):
        irn_cam_pass(model, dataset, todo[rank::world], out_dir=out,
                     progress=rank == 0, workers=workers,
                     seed=int(cfg.get('randomness', {}).get('seed') or 0))
    barrier()
    finish_launch()


if __name__ == '__main__':
    main()
