"""The CPU demo: SemPLeS on a world where objects co-occur with scenes.

    python tools/cooccur/run_demo.py [--work-dir work_dirs/cooccur] [--small]

1. writes the co-occurrence world (VOC layout) unless it is there;
2. trains the toy CLIP on it, or reuses the cached weights;
3. trains the WeakTr baseline CAM network (configs/weaktr/toy_cooccur.py);
4. runs the three SemPLeS stages from it (configs/semples/toy_cooccur.py),
   both through tools/train.py, the real configs' code path;
5. prints and writes ``results.md``: seed mIoU of the baseline, after stage 1
   and after stage 3 on the held-out val split, and for every class the
   false-positive rate on its co-occurring scene (background pixels of the
   class's home scene, in images of the class, labelled as the class);
6. writes ``pictures/{id}.png``: image | GT | per present class the CAM
   after stage 1, after stage 3, and the similarity of its learned background
   prompt over the image (the paper's Fig. 5).

``--small`` is the test suite's variant: a tiny world, short schedules.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'tools', 'cooccur'))

from mmengine.config import Config  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402

from mmseg.registry import DATASETS, MODELS  # noqa: E402
from mmseg.utils import register_all_modules  # noqa: E402
from semples_mmseg.datasets.cooccur_world import (  # noqa: E402
    HOME_SCENE, OBJECT_NAMES, sample_world_layouts, write_world)
from semples_mmseg.datasets.cooccur_world.clip_pairs import \
    normalise_images  # noqa: E402
from semples_mmseg.engine.hooks.cam_visualization_hook import (  # noqa
    cam_panel)
from semples_mmseg.evaluation import (  # noqa: E402
    CAMSeedMetric, select_threshold)
from semples_mmseg.evaluation.pseudo_masks import \
    threshold_label_map  # noqa: E402
from train_toy_clip import ensure_toy_clip  # noqa: E402

BASELINE_CFG = osp.join(REPO, 'configs/weaktr/toy_cooccur.py')
SEMPLES_CFG = osp.join(REPO, 'configs/semples/toy_cooccur.py')
WORLD = dict(num_train=600, num_val=120, image_size=96, cooccur_prob=0.8,
             seed=0)
SMALL_WORLD = dict(WORLD, num_train=160, num_val=32)


def say(msg: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def small_override(work: str, base: str, text: str) -> str:
    """A config file inheriting ``base`` with the --small schedule."""
    folder = osp.basename(osp.dirname(base))
    path = osp.join(work, f'small_{folder}_{osp.basename(base)}')
    with open(path, 'w') as f:
        f.write(f"_base_ = ['{base}']\n{text}")
    return path


def train(config: str, work_dir: str, options) -> None:
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), config,
           '--work-dir', work_dir]
    if options:
        cmd += ['--cfg-options', *options]
    say('running ' + ' '.join(cmd[1:]))
    subprocess.run(cmd, check=True, cwd=REPO)


def scene_map(layout, size: int) -> np.ndarray:
    """(S, S) scene index of every pixel of a layout."""
    out = np.full((size, size), -1, np.int64)
    for (x0, y0, x1, y1), scene in layout.regions:
        out[int(round(y0 * size)):int(round(y1 * size)),
            int(round(x0 * size)):int(round(x1 * size))] = scene
    return out


def load_segmentor(config: str, ckpt: str, clip_path: str = None):
    cfg = Config.fromfile(config)
    cfg.model.cam_net.pretrained = None
    if 'clip_guide' in cfg.model:
        cfg.model.clip_guide.pretrained = clip_path
    model = MODELS.build(cfg.model)
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    model.load_state_dict(state['state_dict'], strict=False)
    return model.eval()


def evaluate(model, dataset, layouts, thresholds):
    """Seed mIoU (best of ``thresholds``), the best over the VOC protocol's
    0.40-0.59 alone, and the per-class home-scene FP rate."""
    k = len(OBJECT_NAMES)
    metric = CAMSeedMetric(thresholds=thresholds)
    metric.dataset_meta = dataset.metainfo
    cams_all = []
    for i in range(len(dataset)):
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[i]]))[0]
        metric.process({}, [sample.to_dict()])
        cams_all.append(sample.pred_cams.data.cpu())
    _, miou = metric.seed_curve(metric.results, k)
    best = select_threshold(miou, 'max')
    t = float(metric.thresholds[best])
    voc_sweep = np.asarray(metric.thresholds) >= 0.40 - 1e-6
    miou_voc = float(miou[voc_sweep][select_threshold(
        miou[voc_sweep], 'max')]) if voc_sweep.any() \
        else float('nan')
    fp = np.zeros(k)
    total = np.zeros(k)
    for i, cams in enumerate(cams_all):
        info = dataset.get_data_info(i)
        gt = np.array(Image.open(info['seg_map_path']))
        scenes = scene_map(layouts[i], gt.shape[0])
        pred = threshold_label_map(cams, t)
        for c in np.flatnonzero(info['img_labels']):
            region = (gt == 0) & (scenes == HOME_SCENE[c])
            total[c] += region.sum()
            fp[c] += (region & (pred == c + 1)).sum()
    with np.errstate(invalid='ignore', divide='ignore'):
        return float(miou[best]), t, miou_voc, fp / total * 100, cams_all


def prompt_similarity(model, image: np.ndarray, window: int = 32,
                      stride: int = 16) -> torch.Tensor:
    """(K, S, S) similarity of each learned background prompt to every
    window of the image (upsampled), in CLIP's input space."""
    size = image.shape[0]
    starts = list(range(0, size - window + 1, stride))
    crops = np.stack([image[y:y + window, x:x + window]
                      for y in starts for x in starts])
    guide = model.clip_guide
    with torch.no_grad():
        emb = guide.encode_images(normalise_images(crops, guide.image_size))
        prompts = model.prompt_learner(guide)
    sim = (prompts @ emb.T).view(-1, 1, len(starts), len(starts))
    return F.interpolate(sim, size=(size, size), mode='bilinear',
                         align_corners=False)[:, 0]


def pictures(out_dir, dataset, stage1_cams, stage3_cams, model, n=4):
    import mmcv
    os.makedirs(out_dir, exist_ok=True)
    palette = dataset.metainfo['palette']
    for i in range(min(n, len(dataset))):
        info = dataset.get_data_info(i)
        image = mmcv.imread(info['img_path'], channel_order='rgb')
        gt = np.array(Image.open(info['seg_map_path']))
        labels = info['img_labels']
        sims = prompt_similarity(model, image)
        sims = (sims - sims.amin((1, 2), keepdim=True)) / (
            sims.amax((1, 2), keepdim=True) - sims.amin((1, 2), keepdim=True)
            + 1e-6)
        rows = [cam_panel(image, stage1_cams[i], labels, gt, palette),
                cam_panel(image, stage3_cams[i], labels, gt, palette),
                cam_panel(image, sims, labels, gt, palette)]
        panel = np.concatenate(rows, axis=0)
        name = osp.splitext(osp.basename(info['img_path']))[0]
        mmcv.imwrite(panel[..., ::-1], osp.join(out_dir, name + '.png'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cooccur')
    parser.add_argument('--small', action='store_true')
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    start = time.time()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    world_cfg = SMALL_WORLD if args.small else WORLD
    world = osp.join(work, 'world')
    if not osp.isfile(osp.join(world, 'world_meta.json')):
        say(f'writing the world to {world}')
        write_world(world, **world_cfg)
    clip = ensure_toy_clip(world=world,
                           **(dict(steps=30, num_layouts=200, num_world=60,
                                   eval_layouts=0) if args.small else {}),
                           log=say)
    say(f"toy CLIP weights: {clip['path']}")
    data = [f'{s}_dataloader.dataset.data_root={world}'
            for s in ('train', 'val', 'test')]
    base_cfg, ours_cfg = BASELINE_CFG, SEMPLES_CFG
    if args.small:
        base_cfg = small_override(work, BASELINE_CFG,
                                  'train_cfg = dict(max_epochs=15, '
                                  'val_interval=15)\n')
        ours_cfg = small_override(
            work, SEMPLES_CFG, 'train_cfg = dict(stages=[\n'
            "    dict(stage=1, max_epochs=1, lr=dict(cam_net=1e-3)),\n"
            "    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=2.5e-2)),\n"
            "    dict(stage=3, max_epochs=1, lr=dict(cam_net=1e-3))])\n")
    train(base_cfg, osp.join(work, 'weaktr'), data)
    baseline = sorted(glob.glob(osp.join(work, 'weaktr', 'best_mIoU_*.pth')))
    baseline = baseline[-1] if baseline else osp.join(
        work, 'weaktr', f"epoch_{Config.fromfile(base_cfg).train_cfg.max_epochs}.pth")
    train(ours_cfg, osp.join(work, 'semples'), data + [
        f'model.cam_net.pretrained={baseline}',
        f"model.clip_guide.pretrained={clip['path']}"])

    say('evaluating the baseline, stage 1 and stage 3 on the val split')
    layouts = sample_world_layouts(
        world_cfg['num_val'], seed=world_cfg['seed'], split='val',
        cooccur_prob=world_cfg['cooccur_prob'])
    cfg = Config.fromfile(SEMPLES_CFG)
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset,
                                  data_root=world))
    # the configs' sweep (the training runs picked their checkpoints by it)
    thresholds = CAMSeedMetric(**{
        k: v for k, v in cfg.val_evaluator.items() if k != 'type'
    }).thresholds
    results, cams = {}, {}
    for name, ckpt in (('WeakTr baseline', baseline),
                       ('SemPLeS stage 1', osp.join(work, 'semples',
                                                    'best_stage1.pth')),
                       ('SemPLeS stage 3', osp.join(work, 'semples',
                                                    'best_stage3.pth'))):
        model = load_segmentor(SEMPLES_CFG, ckpt, clip['path'])
        results[name] = evaluate(model, dataset, layouts, thresholds)
        cams[name] = results[name][-1]
    rows = ['| CAMs | seed mIoU | threshold | seed mIoU, t >= 0.40 only | ' +
            ' | '.join(f'FP {c} on its scene' for c in OBJECT_NAMES) + ' |',
            '|---|---|---|---|' + '---|' * len(OBJECT_NAMES)]
    for name, (miou, t, miou_voc, fp, _) in results.items():
        rows.append(f'| {name} | {miou:.1f} | {t:.2f} | {miou_voc:.1f} | ' +
                    ' | '.join(f'{v:.1f}%' for v in fp) + ' |')
    table = '\n'.join(rows)
    print('\n' + table + '\n')
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(table + '\n')
    model = load_segmentor(SEMPLES_CFG,
                              osp.join(work, 'semples', 'best_stage3.pth'),
                              clip['path'])
    pictures(osp.join(work, 'pictures'), dataset, cams['SemPLeS stage 1'],
             cams['SemPLeS stage 3'], model)
    say(f"results in {osp.join(work, 'results.md')}, pictures in "
        f"{osp.join(work, 'pictures')}; {time.time() - start:.0f} s in all")


if __name__ == '__main__':
    main()
