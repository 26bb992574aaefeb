"""What the learned background prompts of a toy-world run look like to CLIP.

    python projects/cooccur_demo/tools/probe_prompts.py CHECKPOINT \
        --clip TOY_CLIP.pt [--world work_dirs/cooccur/world] [--config CONFIG]

CHECKPOINT holds learned prompts (after stage 2: e.g. best_stage3.pth or the
last stage-2 epoch) and the CAM network whose masks are probed. Prints two
Markdown tables of mean cosine similarities (L2-normalised embeddings):

1. per class k, prompt k against held-out renders: each bare scene, the
   object k alone (``M X`` with its exact mask), the other objects alone,
   and the image of k with its object cut out; the class text
   "a photo of {k}." against object k alone for scale;
2. over the val images, per labelled (image, class) pair: prompt k and the
   class text against the CAM-masked background ``(1 - M) X`` and
   foreground ``M X`` (M: the checkpoint's CAM of k) and against the same
   views cut by the GT mask.

A prompt that describes k's co-occurring background should sit closer to
k's home scene and to backgrounds than to object k; stage 3 pushes the CAM
foreground away from it.
"""
import argparse
import os.path as osp

# first: importing semples_mmseg sets the OpenMP thread policy before torch
# loads OpenMP (semples_mmseg/utils/thread_policy.py)
from semples_mmseg.utils.thread_policy import apply_thread_policy  # isort:skip

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from mmseg.registry import DATASETS
from mmseg.utils import register_all_modules

from cooccur_demo.world import HOME_SCENE, OBJECT_NAMES, SCENE_NAMES
from cooccur_demo.world.clip_pairs import make_clip_pairs
from cooccur_demo.world_eval import load_segmentor
from project_files import DEMO_FILES


def render_table(guide, prompts: torch.Tensor, texts: torch.Tensor,
                 num_layouts: int, seed: int) -> str:
    """Table 1: prompts (K, D) and class texts (K, D) against held-out
    single-object renders."""
    pairs = make_clip_pairs(num_layouts, seed=seed,
                            clip_size=guide.image_size)
    kinds = np.array(pairs['kinds'])
    classes = pairs['classes'].numpy()
    scenes = pairs['scenes'].numpy()
    with torch.no_grad():
        emb = guide.encode_images(pairs['images'])

    def mean_sim(select: np.ndarray, vec: torch.Tensor) -> float:
        if not select.any():
            return float('nan')
        return float((emb[torch.from_numpy(select)] @ vec).mean())

    head = ['class (home scene)'] + [f'scene {s}' for s in SCENE_NAMES] + [
        'object k alone', 'other objects alone', 'k cut out',
        'class text vs object k'
    ]
    rows = ['| ' + ' | '.join(head) + ' |', '|---' * len(head) + '|']
    home_best = 0
    for k, name in enumerate(OBJECT_NAMES):
        p = prompts[k]
        by_scene = [mean_sim((kinds == 'scene') & (scenes == j), p)
                    for j in range(len(SCENE_NAMES))]
        home_best += int(np.nanargmax(by_scene) == HOME_SCENE[k])
        obj = (kinds == 'masked_object') & (classes == k)
        values = by_scene + [
            mean_sim(obj, p),
            mean_sim((kinds == 'masked_object') & (classes != k), p),
            mean_sim((kinds == 'cutout') & (classes == k), p),
            mean_sim(obj, texts[k])
        ]
        rows.append(f'| {name} ({SCENE_NAMES[HOME_SCENE[k]]}) | ' +
                    ' | '.join(f'{v:+.2f}' for v in values) + ' |')
    rows.append(f'\nhome scene = best-matching scene for {home_best} of '
                f'{len(OBJECT_NAMES)} prompts')
    return '\n'.join(rows)


def val_table(model, prompts: torch.Tensor, texts: torch.Tensor,
              dataset) -> str:
    """Table 2: prompts and class texts against CAM / GT cut views."""
    guide = model.clip_guide
    views = ('CAM background (1 - M) X', 'GT background',
             'CAM foreground M X', 'GT foreground')
    sims = {v: [] for v in views}
    for i in range(len(dataset)):
        batch = pseudo_collate([dataset[i]])
        with torch.no_grad():
            sample = model.test_step(batch)[0]
            x = model.data_preprocessor(batch, False)['inputs'][0]
        cams = sample.pred_cams.data.float().to(x.device)
        info = dataset.get_data_info(i)
        gt = torch.from_numpy(np.array(Image.open(info['seg_map_path'])))
        for k in np.flatnonzero(info['img_labels']):
            m, g = cams[k], (gt == k + 1).float().to(x.device)
            images = torch.stack([(1 - m) * x, (1 - g) * x, m * x, g * x])
            images = F.interpolate(
                images, size=(guide.image_size, guide.image_size),
                mode='bilinear', align_corners=True)
            with torch.no_grad():
                emb = guide.encode_images(images)
            for view, e in zip(views, emb):
                sims[view].append((float(e @ prompts[k]),
                                   float(e @ texts[k])))
    rows = ['| view of image n, class k | prompt k | class text k | pairs |',
            '|---|---|---|---|']
    for view, values in sims.items():
        a = np.array(values).reshape(-1, 2)
        rows.append(f'| {view} | {a[:, 0].mean():+.2f} | '
                    f'{a[:, 1].mean():+.2f} | {len(a)} |')
    return '\n'.join(rows)


def main():
    apply_thread_policy()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint')
    parser.add_argument('--clip', required=True, help='toy CLIP weights')
    parser.add_argument('--world', default='work_dirs/cooccur/world')
    parser.add_argument('--config', default=DEMO_FILES.semples_config)
    parser.add_argument('--num-layouts', type=int, default=300)
    parser.add_argument('--seed', type=int, default=12345)
    args = parser.parse_args()
    for path, what in ((args.checkpoint, 'checkpoint'),
                       (args.clip, 'toy CLIP weights'),
                       (osp.join(args.world, 'world_meta.json'), 'world')):
        if not osp.isfile(path):
            raise SystemExit(f'no {what} at {path}')
    state = torch.load(args.checkpoint, map_location='cpu',
                       weights_only=False)
    if 'prompt_learner.prompts' not in state.get('state_dict', state):
        raise SystemExit(f'{args.checkpoint} holds no learned prompts '
                         '(prompt_learner.prompts): pass a checkpoint from '
                         'stage 2 or later')
    register_all_modules(init_default_scope=True)
    model = load_segmentor(args.config, args.checkpoint, args.clip)
    cfg = Config.fromfile(args.config)
    dataset = DATASETS.build(
        dict(cfg.val_dataloader.dataset, data_root=args.world))
    guide = model.clip_guide
    with torch.no_grad():
        prompts = model.prompt_learner(guide)  # (K, D)
    texts = guide.class_text_features  # (K, D): "a photo of {name}."
    print('Learned prompts vs held-out renders (mean cosine similarity)\n')
    print(render_table(guide, prompts, texts, args.num_layouts, args.seed))
    print('\nOn the val images, per labelled (image, class) pair\n')
    print(val_table(model, prompts, texts, dataset))


if __name__ == '__main__':
    main()
