"""Write SAM-based seeds (pseudo masks) for a split from region masks + CAMs.

    python tools/sam/make_sam_seeds.py CONFIG --regions SAM_DIR \
        --cams CAM_DIR --out-dir DIR [--gamma 0.7] [--ann-file LIST] \
        [--resume | --overwrite] [--workers 2]

For each image of the config's ``test_dataloader`` dataset (``--ann-file``
picks another id list, e.g. ``ImageSets/Segmentation/train_aug.txt``): its
region file ``SAM_DIR/{id}.npz`` (``tools/sam/make_sam_masks.py``) and its
CAM file in ``CAM_DIR`` (``{id}.npy`` as ``tools/make_pseudo_masks.py
--save-cams`` writes them into ``DIR/cams``, FMA's ``{id}.npz`` or WeakTr's
dict ``{id}.npy``) give ``DIR/{id}.png`` by FMA-WSSS's SAM-based seeding
(``semples_mmseg.pseudo_masks.sam_seeds``): uint8, 0 background, k + 1
class k, no ignore label. The image-level labels are the dataset's.
FMA's background exponent is 0.6 for coarse and 0.7 for fine VOC seeds.

Every input is checked before the first seed (missing files, masks of
another image size, CAMs of other classes), naming each file at fault.
Images whose region file has no mask become all background and are counted.
Streaming and resumable like ``tools/make_pseudo_masks.py``; when the split
has GT masks, the seeds are scored (Markdown table, ``DIR/scores.json``).
"""
# before anything imports torch: the OpenMP defaults are read once, when torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import argparse
import hashlib
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction
from mmengine.utils import mkdir_or_exist

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import build_list_dataset, load_config
from semples_mmseg.pseudo_masks.export import (
    TEMPORARY, check_or_record_settings, gt_pairs, pending_indices,
    remove_temporaries, save_scores, score_masks, scores_markdown)
from semples_mmseg.pseudo_masks.region_export import region_path
from semples_mmseg.pseudo_masks.seed_export import (SeedInput, cam_file,
                                                    seed_input_problems,
                                                    seed_pass)
from semples_mmseg.utils.atomic_files import naming_full_disk

SHOWN_PROBLEMS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--regions', required=True,
                        help='folder of region mask files ({id}.npz)')
    parser.add_argument('--cams', required=True,
                        help='folder of CAM files ({id}.npy or {id}.npz)')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--gamma', type=float, default=0.7,
                        help='background exponent (FMA VOC: 0.6 coarse, '
                        '0.7 fine)')
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written seeds, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every seed of a non-empty out-dir')
    parser.add_argument('--workers', type=int, default=2,
                        help='DataLoader workers reading ahead (0: serial)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    dataset = build_list_dataset(cfg.test_dataloader.dataset,
                                 ann_file=args.ann_file,
                                 image_labels_for='seeds')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if args.workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {args.workers}')
    img_paths = [info['img_path'] for info in infos]
    items = [
        SeedInput(img_path=path, region_path=region_path(args.regions, path),
                  cam_path=cam_file(args.cams, path),
                  labels=np.asarray(info['img_labels']))
        for path, info in zip(img_paths, infos)
    ]
    out = args.out_dir
    written = [f for f in os.listdir(out) if f.endswith('.png')
               and not TEMPORARY.search(f)] if osp.isdir(out) else []
    if written and not (args.resume or args.overwrite):
        raise SystemExit(f'{out} already holds {len(written)} seeds: pass '
                         '--resume to continue or --overwrite to redo them')
    todo = list(range(len(items))) if args.overwrite or not osp.isdir(out) \
        else pending_indices(img_paths, out)
    problems = seed_input_problems([items[i] for i in todo])
    if problems:
        raise SystemExit(
            f'{len(problems)} input problem(s), nothing written:\n  ' +
            '\n  '.join(problems[:SHOWN_PROBLEMS]) +
            ('\n  ...' if len(problems) > SHOWN_PROBLEMS else ''))

    mkdir_or_exist(out)
    settings = dict(
        method='sam_seeds', gamma=args.gamma,
        regions=osp.abspath(args.regions), cams=osp.abspath(args.cams),
        dataset=type(dataset).__name__,
        ann_file=osp.basename(getattr(dataset, 'ann_file', '') or ''),
        image_ids_sha256=hashlib.sha256('\n'.join(
            osp.basename(p) for p in img_paths).encode()).hexdigest())
    try:
        check_or_record_settings(out, settings, resume=args.resume)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    for path in remove_temporaries(out):  # left by a killed run
        print(f'removed the unfinished {path}', flush=True)
    print(f'{len(todo)} of {len(items)} seeds to write (gamma {args.gamma}, '
          f'{args.workers} loader worker(s))', flush=True)
    with naming_full_disk(out):
        counts = seed_pass([items[i] for i in todo], out_dir=out,
                           gamma=args.gamma, workers=args.workers)
    print(f'\n{counts["images"]} seeds written, '
          f'{counts["images_without_masks"]} of them from an image without '
          'region masks (all background)', flush=True)
    pairs = gt_pairs(dataset)
    if pairs:
        scores = score_masks(out, pairs, dataset.metainfo['classes'])
        scores['images_without_masks'] = counts['images_without_masks']
        print('\n' + scores_markdown(scores))
        print(f'scores written to {save_scores(scores, out)}')


if __name__ == '__main__':
    main()
