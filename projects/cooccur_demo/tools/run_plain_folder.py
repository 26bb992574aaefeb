"""The path of docs/CUSTOM_DATA.md on data nobody made for it: the
co-occurrence world handed over as a plain folder and a CSV, then scored
against the world's masks, which the run never reads.

    python projects/cooccur_demo/tools/run_plain_folder.py \
        [--world work_dirs/cooccur/world] [--work-dir work_dirs/cooccur_plain]

1. exports the world (written by tools/make_world.py or the demo; written
   here when missing) as ``folder/`` (photos in subfolders, tags.csv),
   ``new_photos/`` (the world's held-out images) and ``answers/`` (masks);
2. checks the folder with ``tools/analysis_tools/verify_dataset.py``;
3. trains the WeakTr baseline and SemPLeS with the library's
   ``configs/custom/`` configs at toy size (``configs/custom/`` of this
   project; the demo's toy CLIP, reused from its cache), checkpoints chosen
   by the held-out loss, threshold fixed;
4. writes the pseudo masks of the folder (``tools/make_pseudo_masks.py``),
   trains a toy-size DeepLabV3+ on them (``tools/train.py``);
5. scores, against ``answers/``: the CAM seeds of the new photos (at the
   fixed threshold and at the sweep's best, as the demo's table), the
   pseudo masks, the segmentation model on the new photos; draws mmseg's
   ``MMSegInferencer`` pictures of new photos with the class names;
6. writes ``results.md`` / ``results.json`` with the time of each step.

A rerun reuses every step whose outputs exist (delete a folder to redo it).
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmseg.apis import MMSegInferencer
from mmseg.registry import DATASETS

from cooccur_demo.experiment import WORLD
from cooccur_demo.plain_folder import export_plain_folder
from cooccur_demo.toy_clip import clip_model_cfg
from cooccur_demo.toy_clip_training import ensure_toy_clip
from cooccur_demo.world import write_world
import semples_mmseg  # noqa: F401  (registers into mmseg's registries)
from project_files import CONFIGS, REPO
from semples_mmseg.pseudo_masks.export import score_dataset_masks

CUSTOM = osp.join(CONFIGS, 'custom')
BASELINE = osp.join(CUSTOM, 'weaktr_toy_plain_folder.py')
SEMPLES = osp.join(CUSTOM, 'semples_toy_plain_folder.py')
SEG = osp.join(CUSTOM, 'deeplabv3plus_toy_plain_folder.py')
SPLITS = ('train', 'val', 'test')
SWEEP = ['test_evaluator.threshold_range=[0.05,0.96,0.01]',
         'test_evaluator.threshold_rule=max']


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--world', default='work_dirs/cooccur/world')
    p.add_argument('--work-dir', default='work_dirs/cooccur_plain')
    p.add_argument('--clip', help='toy CLIP weights (default: the demo\'s '
                   'cache, trained when absent)')
    p.add_argument('--demo-results', default='work_dirs/cooccur/results.json',
                   help="the VOC-layout demo's results.json on the same "
                   'world, shown beside these numbers when present')
    return p.parse_args()


def demo_seeds(path: str, threshold: float) -> dict:
    """Per row of the demo's results.json: its seed mIoU at ``threshold``
    and its best over the sweep (with the threshold)."""
    if not osp.isfile(path):
        return {}
    rows = {}
    for name, row in json.load(open(path)).items():
        at = min(range(len(row['thresholds'])),
                 key=lambda i: abs(row['thresholds'][i] - threshold))
        rows[name] = (row['curve'][at], row['miou_max'],
                      row['threshold_max'])
    return rows


def results_markdown(results: dict, demo: dict) -> str:
    """The tables of docs/CUSTOM_DATA.md from ``results.json``."""
    fixed = next(iter(results['seeds'].values()))['fixed_threshold']
    lines = [
        f'| CAMs, seeds of the {results["images"]["new_photos"]} new photos '
        f'| seed mIoU at the fixed {fixed:g} | best of 0.05-0.95 '
        f'(threshold) | VOC-layout demo at {fixed:g} | VOC-layout demo, '
        'best (threshold) |', '|---|---|---|---|---|']
    for name, row in results['seeds'].items():
        ours = (f"| {name} | {row['fixed_mIoU']:.1f} | "
                f"{row['best_mIoU']:.1f} ({row['best_threshold']:.2f}) | ")
        theirs = demo.get(name)
        lines.append(ours + (f'{theirs[0]:.1f} | {theirs[1]:.1f} '
                             f'({theirs[2]:.2f}) |' if theirs else '- | - |'))
    pseudo, seg = results['pseudo_masks'], results['segmentation']
    lines += [
        '', '| result | mIoU | images |', '|---|---|---|',
        f"| pseudo masks of the folder (threshold {fixed:g}) | "
        f"{pseudo['mIoU']:.1f} | {pseudo['images']} |",
        f"| DeepLabV3+ (toy size) on the new photos | {seg['mIoU']:.1f} | "
        f"{results['images']['new_photos']} |"]
    seconds = results['seconds']
    lines += ['', '| step | seconds |', '|---|---|'] + [
        f'| {name} | {value:.0f} |' for name, value in seconds.items()]
    lines.append(f"\n{results['cpus']} CPUs, load average at the end "
                 f"{', '.join(f'{x:.1f}' for x in results['load_average'])}")
    return '\n'.join(lines) + '\n'


def log_line(msg: str) -> None:
    print(f'[plain folder {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def tool(*args: str) -> None:
    """Run a repository tool as a user would, from the repository root."""
    log_line('running ' + ' '.join(args))
    subprocess.run([sys.executable, *args], cwd=REPO, check=True)


class Steps:
    """Each step's wall time; a step is skipped when its output exists."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.times = json.load(open(path)) if osp.isfile(path) else {}

    def run(self, name: str, output: str, fn) -> None:
        if osp.exists(output):
            log_line(f'{name}: reusing {output}')
            return
        start = time.time()
        fn()
        self.times[name] = round(time.time() - start, 1)
        with open(self.path, 'w') as f:
            json.dump(self.times, f, indent=1)
        log_line(f'{name}: {self.times[name]:.0f} s')


def data_options(root: str, splits=SPLITS) -> list:
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


def test_in_process(config: str, ckpt: str, options: list,
                    work_dir: str) -> dict:
    """``tools/test.py CONFIG CKPT --cfg-options ...``: the metrics."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({k: DictAction._parse_iterable(v)
                         for k, v in (o.split('=', 1) for o in options)})
    cfg.work_dir, cfg.load_from = work_dir, ckpt
    return Runner.from_cfg(cfg).test()


def main():
    args = parse_args()
    apply_thread_policy()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    steps = Steps(osp.join(work, 'step_seconds.json'))
    world = osp.abspath(args.world)
    steps.run('world', osp.join(world, 'world_meta.json'),
              lambda: write_world(world, **WORLD))
    plain = osp.join(work, 'plain')
    folder, new = osp.join(plain, 'folder'), osp.join(plain, 'new_photos')
    answers = osp.join(plain, 'answers')
    steps.run('export', osp.join(answers, 'names.csv'),
              lambda: export_plain_folder(world, plain))
    clip = args.clip or ensure_toy_clip(
        model_cfg=clip_model_cfg(SEMPLES), world=world, log=log_line)['path']

    tool('tools/analysis_tools/verify_dataset.py', SEMPLES, '--cfg-options',
         *data_options(folder))
    base_dir = osp.join(work, 'weaktr')
    baseline = osp.join(base_dir, 'baseline.pth')

    def train_baseline():
        tool('tools/train.py', BASELINE, '--work-dir', base_dir,
             '--cfg-options', *data_options(folder))
        best = glob.glob(osp.join(base_dir, 'best_held_out_epoch_*.pth'))
        shutil.copyfile(best[0], baseline)

    steps.run('baseline', baseline, train_baseline)
    semples = osp.join(work, 'semples')
    steps.run('semples', osp.join(semples, 'best_stage3.pth'), lambda: tool(
        'tools/train.py', SEMPLES, '--work-dir', semples, '--cfg-options',
        *data_options(folder), f'model.cam_net.pretrained={baseline}',
        f'model.clip_guide.pretrained={clip}'))
    pseudo = osp.join(work, 'pseudo_masks')
    steps.run('pseudo masks', osp.join(pseudo, 'pseudo_mask_settings.json'),
              lambda: tool('tools/make_pseudo_masks.py', SEMPLES,
                           osp.join(semples, 'best_stage3.pth'),
                           '--out-dir', pseudo, '--workers', '0',
                           '--cfg-options', *data_options(folder, ['test'])))
    seg_dir = osp.join(work, 'deeplabv3plus')
    seg_ckpt = osp.join(seg_dir, 'iter_3000.pth')
    steps.run('segmentation model', seg_ckpt, lambda: tool(
        'tools/train.py', SEG, '--work-dir', seg_dir, '--cfg-options',
        *data_options(folder, ['train', 'test']),
        f'train_dataloader.dataset.mask_dir={pseudo}'))

    # ---- scores against the world's masks (never read above)
    new_options = [f'test_dataloader.dataset.data_root={new}',
                   f'test_dataloader.dataset.mask_dir={answers}/new_photos']
    results = dict(images=dict(folder=sum(1 for _ in open(
        osp.join(folder, 'tags.csv'))) - 1, new_photos=sum(1 for _ in open(
            osp.join(new, 'tags.csv'))) - 1))
    seeds = {}
    for name, config, ckpt in (
            ('WeakTr baseline', BASELINE, baseline),
            ('SemPLeS stage 1', SEMPLES, osp.join(semples,
                                                  'best_stage1.pth')),
            ('SemPLeS stage 3', SEMPLES, osp.join(semples,
                                                  'best_stage3.pth'))):
        out = osp.join(work, 'scores', name.replace(' ', '_'))
        metrics = test_in_process(
            config, ckpt, new_options + SWEEP +
            [f'test_evaluator.output_dir={out}'], osp.join(out, 'logs'))
        fixed = json.load(open(osp.join(out, 'label_maps.json')))
        seeds[name] = dict(
            fixed_threshold=fixed['background_threshold'],
            fixed_mIoU=fixed['label_maps_mIoU'],
            best_mIoU=metrics['mIoU_max'],
            best_threshold=metrics['threshold_max'])
    results['seeds'] = seeds
    folder_with_answers = DATASETS.build(dict(
        Config.fromfile(SEMPLES).test_dataloader.dataset, data_root=folder,
        mask_dir=f'{answers}/folder', pipeline=[]))
    results['pseudo_masks'] = score_dataset_masks(pseudo,
                                                  folder_with_answers)
    results['segmentation'] = test_in_process(
        SEG, seg_ckpt, new_options, osp.join(work, 'scores', 'seg_logs'))
    pictures = osp.join(work, 'pictures')
    inferencer = MMSegInferencer(model=SEG, weights=seg_ckpt, device='cpu')
    photos = sorted(glob.glob(osp.join(new, 'photos', '*.jpg')))[:4]
    inferencer(photos, out_dir=pictures)
    tool('demo/image_demo.py', photos[0], SEMPLES,
         osp.join(semples, 'best_stage3.pth'), '--device', 'cpu',
         '--out-file', osp.join(pictures, 'cams_' + osp.basename(photos[0])))
    results['seconds'] = steps.times
    results['load_average'] = os.getloadavg()
    results['cpus'] = os.cpu_count()
    with open(osp.join(work, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1, default=float)  # numpy scalars
    results = json.load(open(osp.join(work, 'results.json')))
    text = results_markdown(results, demo_seeds(
        args.demo_results, seeds['WeakTr baseline']['fixed_threshold']))
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(text)
    log_line(f'results in {work}/results.md, pictures in {pictures}\n{text}')


if __name__ == '__main__':
    main()
