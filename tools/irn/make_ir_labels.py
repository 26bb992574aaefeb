"""IRNet route, step 2: IR labels (confident foreground / background).

    python tools/irn/make_ir_labels.py CONFIG [--cam-dir DIR] \
        [--out-dir DIR] [--ann-file LIST] [--resume | --overwrite] \
        [--workers 8]

CONFIG is an IRNet config (``configs/irn/``): its ``pseudo_mask_dataset``
lists the images, ``ir_labels`` holds the thresholds and CRF iterations,
``cam_dir`` (step 1's output) and ``ir_label_dir`` are the default folders.
For each image: ``DIR/{image id}.png``, uint8 0 background, k + 1 class k,
255 uncertain (``semples_mmseg/pseudo_masks/ir_labels.py``). Every CAM
file is checked against its image (present, classes, size) before the
first label; ``--workers`` processes run the CRFs. Resumable like the other
steps (``DIR/pseudo_mask_settings.json``).
"""
import argparse

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from mmengine.config import DictAction

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401
from semples_mmseg.apis import build_list_dataset, load_config
from semples_mmseg.pseudo_masks.export import mask_path, png_complete
from semples_mmseg.pseudo_masks.ir_labels import ir_label_pass
from semples_mmseg.pseudo_masks.irn_cam_files import (check_irn_cam_files,
                                                      read_cam_settings)
from semples_mmseg.pseudo_masks.step_dirs import (image_ids_sha256,
                                                  open_step_dir, pending)
from semples_mmseg.utils.atomic_files import exit_on_full_disk
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)

IR_LABEL_KEYS = ('fg_threshold', 'bg_threshold', 'crf_iterations')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an IRNet config (configs/irn/)')
    parser.add_argument('--cam-dir', help="step 1's CAM files (default: the "
                        "config's cam_dir)")
    parser.add_argument('--out-dir', help="default: the config's "
                        'ir_label_dir')
    parser.add_argument('--ann-file', help='id list (relative to data_root)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='keep written labels, do the rest')
    mode.add_argument('--overwrite', action='store_true',
                      help='redo every label of a non-empty out-dir')
    parser.add_argument('--workers', type=int, default=2,
                        help='processes computing labels (0: this one)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    rule = dict(cfg.ir_labels)
    unknown = set(rule) - set(IR_LABEL_KEYS)
    if unknown:
        raise SystemExit(f'ir_labels: unknown key(s) {sorted(unknown)}; '
                         f'the keys are {list(IR_LABEL_KEYS)}')
    if args.workers < 0:
        raise SystemExit(f'--workers must be >= 0, got {args.workers}')
    cam_dir = args.cam_dir or cfg.cam_dir
    out = args.out_dir or cfg.ir_label_dir
    dataset = build_list_dataset(cfg.pseudo_mask_dataset,
                                 ann_file=args.ann_file)
    img_paths = [dataset.get_data_info(i)['img_path']
                 for i in range(len(dataset))]
    todo = list(range(len(dataset))) if args.overwrite else pending(
        img_paths, lambda p: mask_path(out, p), png_complete)

    def open_out_dir():
        removed = open_step_dir(
            out, dict(rule, cams=read_cam_settings(cam_dir),
                      image_ids_sha256=image_ids_sha256(img_paths)),
            ext='.png', resume=args.resume, overwrite=args.overwrite)
        check_irn_cam_files(dataset, todo, cam_dir)
        for path in removed:
            print(f'removed the unfinished {path}', flush=True)

    try:
        prepare_output_dirs(out, main_process_step=open_out_dir)
    except OutputDirError as exc:
        raise SystemExit(str(exc)) from None
    print(f'{len(todo)} of {len(dataset)} IR labels to write ({rule}, '
          f'{args.workers} worker(s))', flush=True)
    with exit_on_full_disk(out):
        ir_label_pass(dataset, todo, cam_dir=cam_dir, out_dir=out,
                      workers=args.workers, **rule)


if __name__ == '__main__':
    main()
