"""Write pseudo masks for a whole split from multi-scale + flip CAMs.

    python tools/make_pseudo_masks.py CONFIG CHECKPOINT --out-dir DIR \
        [--ann-file ImageSets/Segmentation/train_aug.txt] [--threshold 0.43] \
        [--crf] [--crf-preset weaktr_voc] [--resume | --overwrite] \
        [--save-cams] [--workers 2] \
        [--launcher pytorch]

For each image of the config's ``test_dataloader`` dataset (``--ann-file``
picks another id list of the same layout): CAMs at the model's test scales
and flips, masked by the GT image labels, the background threshold
(default: the model's ``test_cfg.bg_threshold``, 0.43 VOC / 0.42 COCO),
optionally dense CRF on the label map (background and the image's classes
take part; parameters: ``--crf-preset``, else the config's
``pseudo_mask_crf = dict(preset=...)``, else ``irnet``), then
``DIR/{image id}.png`` (uint8: 0 background, k + 1 class k). Only the CAM
network is built: no CLIP weights are needed. Memory stays flat; every file
(PNG, ``cams/*.npy``, ``scores.json``) is written atomically, so an
interrupted run continues with
``--resume`` without redoing finished images (an incomplete file left by an
older version is redone). ``DIR/pseudo_mask_settings.json`` records what the
masks were made with (checkpoint weights, threshold, scales, flip, CRF,
split); ``--resume`` with other settings stops. Under
``tools/dist_*``-style launchers each rank takes a shard. When the split has
GT masks, the masks are scored (Markdown table, ``scores.json``).

The export streams: ``--workers`` DataLoader workers (default: the config's
``test_dataloader.num_workers``, else 2) read and decode the images ahead,
the model runs and thresholds in the main process, writer threads refine and
write, with a bounded number of images in flight. ``--workers 0`` is the
serial path (read, infer, write one after the other); the files are the same
bytes either way.
"""
import argparse
import functools
import hashlib
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import torch
from mmengine.config import DictAction
from mmengine.dist import barrier, get_dist_info
from mmengine.runner import CheckpointLoader

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from semples_mmseg.apis import (build_list_dataset, load_config,
                                load_segmentor)
from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                  prepare_launch,
                                                  start_process_group)
from semples_mmseg.pseudo_masks.dense_crf import CRF_PRESETS, crf_refine_labels
from semples_mmseg.pseudo_masks.export import (
    cam_pass, check_or_record_settings, checkpoint_num_classes, output_ids,
    pending_indices, remove_temporaries, save_scores, score_dataset_masks,
    scores_markdown, written_masks)
from semples_mmseg.utils.atomic_files import exit_on_full_disk
from semples_mmseg.utils.fingerprint import tensor_fingerprint
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    parser.add_argument('--threshold', type=float)
    parser.add_argument('--crf', action='store_true',
                        help='dense CRF on the thresholded label map')
    parser.add_argument('--crf-preset', choices=sorted(CRF_PRESETS),
                        help="the CRF's parameters (implies --crf; default: "
                        "the config's pseudo_mask_crf.preset, else irnet)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written masks, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every mask of a non-empty out-dir')
    parser.add_argument('--save-cams', action='store_true',
                        help='also save the CAMs as DIR/cams/{id}.npy')
    parser.add_argument('--workers', type=int,
                        help='DataLoader workers reading ahead (default: the '
                        "config's test_dataloader.num_workers, else 2; 0: the "
                        'serial path with synchronous writing)')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    prepare_launch(cfg, args.launcher)
    start_process_group(cfg)  # as the Runner would: env_cfg.dist_cfg
    rank, world = get_dist_info()

    # ---- everything that can be wrong is checked before the first image
    dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                 ann_file=args.ann_file,
                                 image_labels_for='pseudo masks')
    num_classes = len(dataset.metainfo['classes']) - 1
    ckpt = CheckpointLoader.load_checkpoint(args.checkpoint, 'cpu')
    state = ckpt.get('state_dict', ckpt)
    ckpt_classes = checkpoint_num_classes(state)
    if ckpt_classes is not None and ckpt_classes != num_classes:
        raise SystemExit(f'{args.checkpoint} has a CAM network for '
                         f'{ckpt_classes} classes, the dataset has '
                         f'{num_classes}')
    out = args.out_dir
    written = written_masks(out) if osp.isdir(out) else []
    if written and not (args.resume or args.overwrite):
        raise SystemExit(f'{out} already holds {len(written)} masks: pass '
                         '--resume to continue or --overwrite to redo them')
    workers = args.workers if args.workers is not None else int(
        cfg.test_dataloader.get('num_workers', 2))
    if workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {workers}')
    crf = crf_preset = None
    if args.crf or args.crf_preset:
        crf_preset = args.crf_preset or (cfg.get('pseudo_mask_crf')
                                         or {}).get('preset', 'irnet')
        crf = functools.partial(crf_refine_labels, preset=crf_preset)
    model = load_segmentor(cfg.model, ckpt, source=args.checkpoint)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    threshold = args.threshold if args.threshold is not None else float(
        model.test_cfg['bg_threshold'])

    img_paths = [dataset.get_data_info(i)['img_path']
                 for i in range(len(dataset))]
    settings = dict(
        checkpoint_fingerprint=tensor_fingerprint(
            {k: v for k, v in state.items() if k.startswith('cam_net.')}),
        threshold=threshold,
        scales=[float(x) for x in model.test_cfg['scales']],
        flip=bool(model.test_cfg['flip']),
        crf=crf_preset or False,
        save_cams=bool(args.save_cams),
        dataset=type(dataset).__name__,
        ann_file=osp.basename(dataset.ann_file),
        image_ids_sha256=hashlib.sha256('\n'.join(
            osp.basename(p) for p in img_paths).encode()).hexdigest(),
        num_classes=num_classes)

    def record_settings():  # rank 0, once the folders exist on every rank
        check_or_record_settings(out, settings, resume=args.resume)
        for path in remove_temporaries(out):  # left by a killed run
            print(f'removed the unfinished {path}', flush=True)

    try:
        prepare_output_dirs(
            out, osp.join(out, 'cams') if args.save_cams else None,
            main_process_step=record_settings)
    except OutputDirError as exc:
        finish_launch()
        raise SystemExit(str(exc)) from None
    todo = list(range(len(dataset))) if args.overwrite else \
        pending_indices(img_paths, out, save_cams=args.save_cams,
                        img_ids=output_ids(dataset))
    shard = todo[rank::world]
    if rank == 0:
        print(f'{len(todo)} of {len(dataset)} masks to write '
              f'(threshold {threshold}, CRF '
              f'{f"on ({crf_preset})" if crf_preset else "off"}, '
              f'{world} process(es), {workers} loader worker(s) each)',
              flush=True)
    with exit_on_full_disk(out):
        cam_pass(model, dataset, shard, out_dir=out, threshold=threshold,
                 crf=crf, save_cams=args.save_cams, progress=rank == 0,
                 workers=workers, seed=int(cfg.get('randomness', {}).get(
                     'seed') or 0))
    barrier()
    if rank == 0:
        scores = score_dataset_masks(out, dataset)
        if scores is not None:
            print('\n' + scores_markdown(scores))
            print(f'scores written to {save_scores(scores, out)}')
    finish_launch()


if __name__ == '__main__':
    main()
