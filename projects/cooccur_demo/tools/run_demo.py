"""The CPU demo: SemPLeS on a world where objects co-occur with scenes.

    python projects/cooccur_demo/tools/run_demo.py [--work-dir work_dirs/cooccur]
        [--small]

1. writes the co-occurrence world (VOC layout) unless it is there;
2. trains the toy CLIP on it, or reuses the cached weights, and copies them
   to ``{work}/toy_clip.pt``;
3. trains the WeakTr baseline CAM network (the project's
   configs/weaktr/toy_cooccur.py) and copies its best checkpoint to
   ``{work}/weaktr/baseline.pth``;
4. runs the three SemPLeS stages from it (configs/semples/toy_cooccur.py),
   both through the repository's tools/train.py, the real configs' code
   path;
5. prints and writes ``results.md``: seed mIoU of the baseline, after stage 1
   and after stage 3 on the held-out val split, and for every class the
   false-positive rate on its co-occurring scene (background pixels of the
   class's home scene, in images of the class, labelled as the class);
6. writes ``pictures/{id}.png``: image | GT | per present class the CAM of
   the baseline, after stage 1 and after stage 3 (one colour scale, 0-1),
   and the similarity of its learned background prompt over the image (the
   paper's Fig. 5);
7. runs demo/image_demo.py's function on one held-out world image (one
   object on its home scene) with the stage-3 checkpoint, as a user runs
   any trained model: ``pictures/image_demo.png`` (demo/README.md).

With the default work dir the two copied files are the toy configs' default
weight paths, so tools/test.py, tools/train.py and the Inferencer run on the
toy configs afterwards with no option. Every phase is reused on a rerun
when it finished before with the same inputs (world, config, seed); one
progress line per phase shows the ETA, a timing table closes the run.
``--small`` is the test suite's variant: a tiny world, short schedules.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import numpy as np

from cooccur_demo import world_eval
from cooccur_demo.experiment import Experiment, derived_config, log_line
from cooccur_demo.phase_records import Progress, fingerprint
from cooccur_demo.world import OBJECT_NAMES
from project_files import DEMO_FILES, IMAGE_DEMO

SEMPLES_CFG = DEMO_FILES.semples_config

SMALL_STAGES = ('train_cfg = dict(stages=[\n'
                "    dict(stage=1, max_epochs=1, lr=dict(cam_net=1e-3)),\n"
                "    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=2.5e-2)),\n"
                "    dict(stage=3, max_epochs=1, lr=dict(cam_net=1e-3))])\n")
#: estimated seconds of each phase on a quiet 2-core machine (the ETA
#: rescales them by the measured speed of the phases that ran)
PHASE_COST = {'world': 5, 'toy CLIP': 270, 'WeakTr baseline': 60,
              'SemPLeS stages 1-3': 180, 'evaluation': 40, 'pictures': 15}
SMALL_COST = {'world': 2, 'toy CLIP': 30, 'WeakTr baseline': 25,
              'SemPLeS stages 1-3': 25, 'evaluation': 10, 'pictures': 8}
ROWS = (('WeakTr baseline', None), ('SemPLeS stage 1', 'best_stage1.pth'),
        ('SemPLeS stage 3', 'best_stage3.pth'))


def evaluate(model, dataset, layouts, thresholds, threshold_rule='max'):
    """Seed mIoU (``threshold_rule`` of ``thresholds``), its threshold, best
    of the VOC protocol's 0.40-0.59 alone, the per-class home-scene FP rate
    and the CAMs."""
    cams = world_eval.predict_cams(model, dataset)
    s = world_eval.score_cams(cams, dataset, layouts, thresholds,
                              threshold_rule)
    return s['miou'], s['threshold'], s['miou_voc_sweep'], np.array(
        s['fp']), cams


def results_table(results: dict, threshold_rule: str) -> str:
    rows = [
        f'| CAMs | seed mIoU ({threshold_rule}) | threshold | seed mIoU, '
        't >= 0.40 only | ' + ' | '.join(f'FP {c} on its scene'
                                         for c in OBJECT_NAMES) + ' |',
        '|---|---|---|---|' + '---|' * len(OBJECT_NAMES)
    ]
    for name, s in results.items():
        rows.append(f"| {name} | {s['miou']:.1f} | {s['threshold']:.2f} | "
                    f"{s['miou_voc_sweep']:.1f} | " +
                    ' | '.join(f'{v:.1f}%' for v in s['fp']) + ' |')
    return '\n'.join(rows)


def pictures(out_dir, dataset, cams: dict, model, n=4):
    """Labelled figures of the first ``n`` val images."""
    import mmcv
    from PIL import Image

    from cooccur_demo.prompt_maps import prompt_similarity
    from semples_mmseg.visualization import cam_figure
    os.makedirs(out_dir, exist_ok=True)
    meta = dataset.metainfo
    written = []
    for i in range(min(n, len(dataset))):
        info = dataset.get_data_info(i)
        image = mmcv.imread(info['img_path'], channel_order='rgb')
        gt = np.array(Image.open(info['seg_map_path']))
        present = np.flatnonzero(info['img_labels'])
        rows = [(f'{name}\nCAM', cams[name][i].numpy(), 0., 1., 'jet')
                for name in cams]
        sims = prompt_similarity(model, image).numpy()
        rows.append(('learned prompt\nsimilarity', sims, None, None,
                     'viridis'))
        name = osp.splitext(osp.basename(info['img_path']))[0]
        path = osp.join(out_dir, name + '.png')
        cam_figure(image, gt, meta['palette'], meta['prompt_classes'],
                   present, rows, path=path,
                   title=f'{name}: CAMs (one 0-1 scale) and the cosine '
                   "similarity of each class's learned background prompt "
                   'to 32-px crops (stride 4)')
        written.append(path)
    return written


def home_scene_image(layouts) -> int:
    """Index of the first val image with a single object on its home scene
    (the co-occurrence SemPLeS is about), else 0."""
    for i, layout in enumerate(layouts):
        if len(layout.objects) == 1 and layout.cooccurs(layout.objects[0]):
            return i
    return 0


def relative_if_inside(path: str) -> str:
    """``path`` relative to the current folder when it is under it."""
    rel = osp.relpath(path)
    return path if rel.startswith('..') else rel


def image_demo_picture(image: str, checkpoint: str, out_file: str) -> str:
    """``python demo/image_demo.py IMAGE SEMPLES_CFG CHECKPOINT --device cpu
    --out-file OUT`` (the repository's image demo on the project's SemPLeS
    config), through the script's own function in this process."""
    spec = importlib.util.spec_from_file_location('semples_image_demo',
                                                  IMAGE_DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    log_line('image demo: python ' + ' '.join(
        relative_if_inside(p)
        for p in (IMAGE_DEMO, image, SEMPLES_CFG, checkpoint)) +
             f' --device cpu --out-file {relative_if_inside(out_file)}')
    module.image_demo(image, SEMPLES_CFG, checkpoint, out_file=out_file,
                      device='cpu')
    return out_file


def main():
    apply_thread_policy()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cooccur')
    parser.add_argument('--small', action='store_true')
    parser.add_argument('--threshold-rule',
                        choices=('greedy', 'max'),
                        default='max',
                        help='seed-threshold threshold_rule of '
                        'the table (both are in results.json)')
    args = parser.parse_args()
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    progress = Progress(SMALL_COST if args.small else PHASE_COST, log=log_line)
    exp = Experiment(args.work_dir, files=DEMO_FILES, small=args.small,
                     progress=progress)
    exp.ensure_world()
    clip = exp.ensure_clip()
    log_line(f'toy CLIP weights: {clip}')
    baseline = exp.ensure_baseline()
    log_line(f'WeakTr baseline: {baseline}')
    config = SEMPLES_CFG
    if args.small:
        config = derived_config(
            osp.join(exp.work, 'configs', 'small_semples_toy_cooccur.py'),
            SEMPLES_CFG, SMALL_STAGES)
    semples = osp.join(exp.work, 'semples')
    exp.train_semples('SemPLeS stages 1-3', config, semples,
                      ['best_stage1.pth', 'best_stage3.pth'])
    train_key = exp.record(semples)['fingerprint']

    dataset = world_eval.world_val_dataset(SEMPLES_CFG, exp.world)
    results_json = osp.join(exp.work, 'results.json')
    results, cams = {}, {}

    def run_evaluation():
        layouts = world_eval.val_layouts(exp.world_params)
        thresholds = world_eval.config_thresholds(SEMPLES_CFG)
        scores = {}
        for name, ckpt in ROWS:
            path = baseline if ckpt is None else osp.join(semples, ckpt)
            model = world_eval.load_segmentor(SEMPLES_CFG, path, clip)
            cams[name] = world_eval.predict_cams(model, dataset)
            scores[name] = world_eval.score_cams(
                cams[name], dataset, layouts, thresholds, 'greedy')
        with open(results_json + '.tmp', 'w') as f:
            json.dump(scores, f)
        os.replace(results_json + '.tmp', results_json)

    exp.phase('evaluation', osp.join(exp.work, 'evaluation'),
              fingerprint('evaluation', train_key, exp.keys['baseline']),
              [results_json], run_evaluation)
    with open(results_json) as f:
        scores = json.load(f)
    for name, s in scores.items():
        results[name] = dict(s,
                             miou=s[f'miou_{args.threshold_rule}'],
                             threshold=s[f'threshold_{args.threshold_rule}'],
                             fp=s[f'fp_{args.threshold_rule}'])
    table = results_table(results, args.threshold_rule)
    print('\n' + table + '\n')
    with open(osp.join(exp.work, 'results.md'), 'w') as f:
        f.write(table + '\n')

    progress.begin('pictures')
    if not cams:  # evaluation reused: the CAMs of the pictured images only
        sub = [dataset[i] for i in range(min(4, len(dataset)))]
        for name, ckpt in ROWS:
            path = baseline if ckpt is None else osp.join(semples, ckpt)
            model = world_eval.load_segmentor(SEMPLES_CFG, path, clip)
            cams[name] = world_eval.predict_cams(model, sub)
    model = world_eval.load_segmentor(
        SEMPLES_CFG, osp.join(semples, 'best_stage3.pth'), clip)
    pictures(osp.join(exp.work, 'pictures'), dataset, cams, model)
    index = home_scene_image(world_eval.val_layouts(exp.world_params))
    image_demo_picture(dataset.get_data_info(index)['img_path'],
                       osp.join(semples, 'best_stage3.pth'),
                       osp.join(exp.work, 'pictures', 'image_demo.png'))
    progress.end('pictures')
    log_line(f"results in {osp.join(exp.work, 'results.md')}, pictures in "
             f"{osp.join(exp.work, 'pictures')}")
    print(progress.timing_report())


if __name__ == '__main__':
    main()
