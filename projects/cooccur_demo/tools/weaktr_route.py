"""The WeakTr route on the co-occurrence world, to a trained Segmenter.

    python projects/cooccur_demo/tools/weaktr_route.py \
        [--from work_dirs/cooccur] \
        [--work-dir work_dirs/cooccur/weaktr_route] [--seeds 0] \
        [--epochs 8] [--crf-preset weaktr_voc] [--encoder-init cam|random]

Reads the finished demo (``tools/run_demo.py``) in ``--from``, read-only:
its world, the WeakTr baseline (``weaktr/baseline.pth``) and SemPLeS
(``semples/best_stage3.pth``). For each of the two CAM networks:

1. pseudo masks of the world's 600 train images: CAMs at the config's
   scales and flips, its background threshold (the world's, chosen by the
   demo's sweep on val: 0.36 baseline, 0.30 SemPLeS), WeakTr's pseudo-mask
   CRF (``weaktr_voc``: Gaussian 4/3, bilateral 83/5/3, background and the
   image's classes), scored against the real train masks;
2. the world's Segmenter
   (``configs/weaktr_retrain/segmenter_tiny_gcd_world.py``) trained on them
   with plain CE and with the gradient-clipping loss (GCD), per seed;
   each model tested on the 120 val images with their real masks. As
   WeakTr starts from a pretrained DeiT, its encoder starts from the
   baseline CAM network's DeiT (``--encoder-init cam``, the default:
   trained on the world's train images with image labels only; the same
   start for both rows), or from random weights (``random``).

Writes ``{work-dir}/results.md`` (rows baseline / SemPLeS, columns
pseudo-mask mIoU, Segmenter mIoU per loss, seeds' 95% interval when there
are several; whether GCD's gate opened) and ``results.json``. Every finished
step records its fingerprint (``phase.json``): a rerun reuses it, more
seeds add only their runs.
"""
import argparse
import os
import os.path as osp
import time

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from cooccur_demo import weaktr_route as route
from cooccur_demo.experiment import log_line
from cooccur_demo.phase_records import (Progress, config_fingerprint,
                                        fingerprint, finished, read_record,
                                        write_record)
from project_files import CONFIGS, DEMO_FILES
from semples_mmseg.pseudo_masks.dense_crf import CRF_PRESETS
from semples_mmseg.utils.output_dirs import (OutputDirError,
                                             prepare_output_dirs)

SEG_CONFIG = osp.join(CONFIGS, 'weaktr_retrain', 'segmenter_tiny_gcd_world.py')
SOURCES = (
    route.CamSource('baseline', 'WeakTr baseline', DEMO_FILES.baseline_config,
                    osp.join('weaktr', 'baseline.pth')),
    route.CamSource('semples', 'SemPLeS (stage 3)', DEMO_FILES.semples_config,
                    osp.join('semples', 'best_stage3.pth')),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--from', dest='from_dir', default='work_dirs/cooccur',
                        help="the finished demo's folder (read only)")
    parser.add_argument('--work-dir', default='work_dirs/cooccur/weaktr_route')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--epochs', type=int,
                        help="the Segmenter's epochs (default: the config's)")
    parser.add_argument('--crf-preset', default='weaktr_voc',
                        choices=sorted(CRF_PRESETS))
    parser.add_argument('--encoder-init', default='cam',
                        choices=('cam', 'random'))
    return parser.parse_args()


def file_fingerprint(path: str) -> str:
    """Size and modification time of a file (the demo's outputs)."""
    stat = os.stat(path)
    return f'{stat.st_size}:{int(stat.st_mtime)}'


def check_inputs(from_dir: str) -> str:
    """The world folder of the demo; names what is missing."""
    world = osp.join(from_dir, 'world')
    needed = [osp.join(world, 'ImageSets', 'Segmentation', 'train.txt'),
              osp.join(world, 'ImageSets', 'Segmentation', 'val.txt')] + [
                  osp.join(from_dir, s.checkpoint) for s in SOURCES]
    missing = [p for p in needed if not osp.isfile(p)]
    if missing:
        raise SystemExit(f'--from {from_dir} is not a finished demo: missing '
                         f'{missing} (run projects/cooccur_demo/tools/'
                         'run_demo.py first)')
    return world


def main():
    args = parse_args()
    apply_thread_policy()
    register_all_modules(init_default_scope=True)
    world = check_inputs(args.from_dir)
    work = args.work_dir
    try:
        prepare_output_dirs(work)
    except OutputDirError as exc:
        raise SystemExit(str(exc)) from None
    world_key = (read_record(world) or {}).get('fingerprint') or \
        file_fingerprint(osp.join(world, 'cls_labels.npy'))
    seg_config_key = config_fingerprint(SEG_CONFIG)
    phases = {f'masks {s.name}': 60. for s in SOURCES}
    phases.update({f'{s.name} {loss} seed {seed}': 180.
                   for seed in args.seeds for s in SOURCES
                   for loss in route.LOSSES})
    progress = Progress(phases, log=log_line)

    masks, mask_keys = {}, {}
    for source in SOURCES:
        name = f'masks {source.name}'
        folder = osp.join(work, 'masks', source.name)
        key = fingerprint(world_key, config_fingerprint(source.config),
                          file_fingerprint(osp.join(args.from_dir,
                                                    source.checkpoint)),
                          args.crf_preset)
        progress.begin(name)
        reused = finished(folder, key)
        if not reused:
            scores = route.pseudo_masks(
                source, world=world, from_dir=args.from_dir, out_dir=folder,
                crf_preset=args.crf_preset)
            write_record(folder, key, scores=scores)
        masks[source.name] = read_record(folder)['scores']
        mask_keys[source.name] = key
        progress.end(name, reused=reused)
        log_line(
            f'{source.title}: pseudo masks mIoU '
            f"{masks[source.name]['mIoU']:.2f} (threshold "
            f"{masks[source.name]['threshold']:.2f}, CRF {args.crf_preset})")

    encoder = None
    if args.encoder_init == 'cam':
        encoder = route.encoder_from_cam_network(
            osp.join(args.from_dir, SOURCES[0].checkpoint),
            osp.join(work, 'encoder', 'baseline_cam_deit_mmseg.pth'))
    suffix = '' if encoder is None else '_camenc'
    encoder_key = () if encoder is None else (
        'cam', mask_keys[SOURCES[0].name])
    seg, runs = {}, {}
    for seed in args.seeds:
        for source in SOURCES:
            for loss in route.LOSSES:
                name = f'{source.name} {loss} seed {seed}'
                folder = osp.join(work, 'seg',
                                  f'{source.name}_{loss}{suffix}_s{seed}')
                key = fingerprint(seg_config_key, mask_keys[source.name],
                                  loss, seed, args.epochs, *encoder_key)
                progress.begin(name)
                reused = finished(folder, key)
                if not reused:
                    cfg = route.world_seg_config(
                        SEG_CONFIG, world=world,
                        mask_dir=osp.join(work, 'masks', source.name),
                        loss=loss, seed=seed, work_dir=folder,
                        max_epochs=args.epochs, encoder_weights=encoder)
                    start = time.time()
                    result = route.train_and_test(cfg)
                    result['seconds'] = round(time.time() - start)
                    write_record(folder, key, result=result)
                result = read_record(folder)['result']
                progress.end(name, reused=reused)
                log_line(f'{name}: val mIoU {result["mIoU"]:.2f}' +
                         (f', GCD gate {result["gate"]}' if 'gate' in
                          result else ''))
                seg.setdefault(source.name, {}).setdefault(
                    loss, []).append(result['mIoU'])
                runs[name] = result

    table = route.route_table(SOURCES, masks, seg)
    gates = [r['gate'] for r in runs.values() if 'gate' in r]
    gate_line = ('GCD gate (batch mean CE <= 1.2): open on '
                 + ', '.join(f"{g['open_steps']}/{g['steps']}"
                             for g in gates)
                 + ' steps of the GCD runs; first open at step '
                 + ', '.join(str(g['first_open_step']) for g in gates) + '.')
    text = (f'# WeakTr route on the co-occurrence world\n\n{table}\n\n'
            f'Seeds {args.seeds}; pseudo-mask CRF {args.crf_preset}; '
            f'encoder init {args.encoder_init}. '
            f'{gate_line}\n\n{progress.summary()}\n')
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(text)
    route.write_json(osp.join(work, 'results.json'),
                     dict(masks=masks, runs=runs, seeds=args.seeds))
    print(text)


if __name__ == '__main__':
    main()
