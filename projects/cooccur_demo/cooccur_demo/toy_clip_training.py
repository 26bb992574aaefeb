"""Train the toy CLIP on the co-occurrence world (CPU, a few minutes).

Contrastive training (symmetric InfoNCE) of ``open_clip.CLIP(**model_cfg)``
on renders of the world with object, scene and full captions, including
masked views (object on the ImageNet-mean grey, scene with the object cut
out), all ImageNet-normalised as the SemPLeS segmentor feeds CLIP; with a
written world the renders follow its parameters (image size, co-occurrence
probability) and its train images join with captions naming their objects
and scenes. Objects mostly sit on their home scene, so the model learns the
co-occurrence bias SemPLeS must undo. ``ensure_toy_clip`` saves a plain state
dict to ``$SEMPLES_CACHE/toy_clip/<digest>.pt`` (default cache
``~/.cache/semples_mmseg``; the digest covers the model config, the seed, the
world parameters and the training settings) with the metrics beside it
(``.json``), and reuses it when the same configuration was trained before.
The command line is the demo's ``tools/train_toy_clip.py``.
"""
import json
import math
import os
import os.path as osp
import time
from typing import Callable, Dict, Optional

import cv2
import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .toy_clip import toy_clip_path
from .world.captions import object_caption, scene_caption
from .world.catalog import HOME_SCENE, OBJECT_NAMES, SCENE_NAMES
from .world.clip_pairs import (concat_pairs, make_clip_pairs,
                               normalise_images, world_pairs_from_folder)
from .world.writer import read_world_meta

DEFAULT_TRAIN = dict(
    epochs=4,
    steps=None,  # when set, wins over epochs
    batch_size=128,
    lr=2e-3,
    weight_decay=0.05,
    warmup=30,
    num_layouts=1500,
    num_world=750,
    image_size=96,
    cooccur_prob=0.8,
    seed=0,
    threads=2,
    recipe=2,  # bump when the training code changes what it produces
)
EVAL_SEED_OFFSET = 1_000_003


def print_now(message: str) -> None:
    print(message, flush=True)


#: ``write_world`` parameters that decide what the CLIP training sees
WORLD_KEYS = ('num_train', 'num_val', 'image_size', 'cooccur_prob', 'seed',
              'object_count_probs', 'jpeg_quality')


def train_config(model_cfg: dict,
                 world: Optional[dict] = None,
                 **overrides) -> dict:
    """Everything the weights depend on: the hash key of the cache file.

    Args:
        model_cfg: ``open_clip.CLIP`` kwargs (``toy_clip.clip_model_cfg``).
        world: the ``params`` of a written world (``world_meta.json``); its
            image size and co-occurrence probability are used for the
            renders, and its train images are added.
    """
    unknown = set(overrides) - set(DEFAULT_TRAIN)
    if unknown:
        raise ValueError(f'unknown toy CLIP training option(s) '
                         f'{sorted(unknown)}; known: {sorted(DEFAULT_TRAIN)}')
    cfg = dict(DEFAULT_TRAIN, **overrides)
    if cfg['steps'] is None and not cfg['epochs'] > 0:
        raise ValueError(f'epochs must be > 0, got {cfg["epochs"]}')
    if world is not None:
        world = {k: world[k] for k in WORLD_KEYS if k in world}
        for key in ('image_size', 'cooccur_prob'):
            if key not in world:
                raise KeyError(f'world params lack {key!r}: {world}')
            if key in overrides and overrides[key] != world[key]:
                raise ValueError(
                    f'{key}={overrides[key]} disagrees with the world '
                    f'({key}={world[key]}); leave it out with a world')
            cfg[key] = world[key]
        cfg['world'] = world
    cfg['model_cfg'] = dict(model_cfg)
    return cfg


def build_pairs(cfg: dict, world_dir: Optional[str] = None) -> Dict:
    """The training (image, caption) pairs of ``cfg`` (see clip_pairs)."""
    clip_size = _clip_size(cfg['model_cfg'])
    pairs = make_clip_pairs(
        cfg['num_layouts'],
        seed=cfg['seed'],
        image_size=cfg['image_size'],
        clip_size=clip_size,
        cooccur_prob=cfg['cooccur_prob'],
        num_world=cfg['num_world'])
    if world_dir is None:
        return pairs
    meta = read_world_meta(world_dir)
    return concat_pairs(
        pairs,
        world_pairs_from_folder(
            world_dir, meta['annotations'], seed=cfg['seed'],
            clip_size=clip_size, split='train'))


def num_steps(cfg: dict, num_pairs: int) -> int:
    """``steps`` when set, else ``ceil(epochs * pairs / batch)``."""
    if cfg['steps'] is not None:
        return int(cfg['steps'])
    return max(1, math.ceil(cfg['epochs'] * num_pairs / cfg['batch_size']))


def encode_texts(model: nn.Module, tokens: Tensor) -> Tensor:
    """``model.encode_text`` on (Q, 77) ids, cut after the last EOT.

    Exact: the text transformer is causal, so tokens after EOT never reach
    the EOT output; cutting the padding saves most of the text cost.
    """
    length = int((tokens != 0).sum(1).max())
    ids = tokens[:, :length]
    x = model.token_embedding(ids) + model.positional_embedding[:length]
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = model.ln_final(x)
    x = x[torch.arange(len(ids)), ids.argmax(dim=-1)]
    proj = model.text_projection
    return proj(x) if isinstance(proj, nn.Linear) else x @ proj


def contrastive_loss(img: Tensor, txt: Tensor, caption_index: Tensor,
                     logit_scale: Tensor) -> Tensor:
    """Symmetric InfoNCE with repeated captions.

    Args:
        img: (B, D) and txt: (U, D) L2-normalised; ``txt`` holds each distinct
            caption of the batch once.
        caption_index: (B,) caption of each image, in [0, U).

    Image -> text is cross-entropy over the U captions; text -> image spreads
    each caption's target evenly over all images that carry it.
    """
    logits = logit_scale * img @ txt.t()  # (B, U)
    loss_img = F.cross_entropy(logits, caption_index)
    target = F.one_hot(caption_index, txt.shape[0]).t().float()  # (U, B)
    target = target / target.sum(1, keepdim=True)
    loss_txt = -(target * logits.t().log_softmax(1)).sum(1).mean()
    return (loss_img + loss_txt) / 2


class _Determinism:
    """Seeds, deterministic algorithms and a fixed thread count, restored
    on exit."""

    def __init__(self, seed: int, threads: int) -> None:
        self.seed, self.threads = seed, threads

    def __enter__(self):
        self.prev = (torch.get_num_threads(),
                     torch.are_deterministic_algorithms_enabled())
        torch.set_num_threads(self.threads)
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self.prev[0])
        torch.use_deterministic_algorithms(self.prev[1])


def _clip_size(model_cfg: dict) -> int:
    size = model_cfg['vision_cfg']['image_size']
    return int(size[0] if isinstance(size, (tuple, list)) else size)


def fit_toy_clip(cfg: dict,
                 log: Callable[[str], None] = print_now,
                 world_dir: Optional[str] = None) -> Dict:
    """Train from scratch; returns ``model`` (eval mode) and ``losses``."""
    with _Determinism(cfg['seed'], cfg['threads']):
        start = time.time()
        pairs = build_pairs(cfg, world_dir)
        images = pairs['images']
        texts = sorted(set(pairs['captions']))
        caption_ids = torch.tensor(
            [texts.index(c) for c in pairs['captions']])
        tokens = open_clip.SimpleTokenizer(
            context_length=cfg['model_cfg']['text_cfg']['context_length'])(
                texts)
        log(f'toy CLIP: {len(images)} pairs, {len(texts)} captions, '
            f'rendered in {time.time() - start:.1f} s; '
            f'{num_steps(cfg, len(images))} steps of {cfg["batch_size"]}')
        model = open_clip.CLIP(**cfg['model_cfg'])
        decay = [p for p in model.parameters() if p.ndim >= 2]
        rest = [p for p in model.parameters() if p.ndim < 2]
        opt = torch.optim.AdamW([
            dict(params=decay, weight_decay=cfg['weight_decay']),
            dict(params=rest, weight_decay=0.)
        ], lr=cfg['lr'])
        steps = num_steps(cfg, len(images))
        warmup = max(1, min(cfg['warmup'], steps // 4))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda i: min(1., (i + 1) / warmup) * 0.5 *
            (1 + torch.cos(torch.tensor(torch.pi * i / max(steps, 1))).item()))
        gen = torch.Generator().manual_seed(cfg['seed'])
        order = torch.randperm(len(images), generator=gen)
        cursor, losses = 0, []
        train_start = time.time()
        model.train()
        for step in range(steps):
            if cursor + cfg['batch_size'] > len(order):
                order, cursor = torch.randperm(len(images), generator=gen), 0
            idx = order[cursor:cursor + cfg['batch_size']]
            cursor += cfg['batch_size']
            x = images[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
            used, inverse = torch.unique(caption_ids[idx], return_inverse=True)
            img = F.normalize(model.encode_image(x), dim=-1)
            txt = F.normalize(encode_texts(model, tokens[used]), dim=-1)
            loss = contrastive_loss(img, txt, inverse,
                                    model.logit_scale.exp())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, 4.6052)
            losses.append(loss.item())
            if step % 20 == 0 or step == steps - 1:
                spent = time.time() - train_start
                eta = spent / (step + 1) * (steps - step - 1)
                log(f'step {step + 1}/{steps} loss {loss.item():.3f} '
                    f'elapsed {spent:.0f} s ETA {eta:.0f} s')
        model.eval()
    return dict(model=model, losses=losses,
                seconds=time.time() - start)


@torch.no_grad()
def evaluate_toy_clip(model: nn.Module,
                      *,
                      num_layouts: int = 300,
                      seed: int = EVAL_SEED_OFFSET,
                      image_size: int = 96,
                      cooccur_prob: float = 0.8) -> Dict[str, float]:
    """Zero-shot accuracies on held-out renders (guide template texts).

    ``object_at_home`` / ``object_off_home``: the object on its home / another
    scene; ``masked_object``: object on grey; ``scene`` / ``cutout``: bare
    scene / scene with the object cut out, among scene texts;
    ``bias_scene_as_object``: bare home scenes classified among *object*
    texts, the fraction named after their object (chance 1/K: higher = the
    co-occurrence bias); ``fg_bg_gap``: mean sim(masked object, its text)
    minus mean sim(cutout, the removed object's text).
    """
    pairs = make_clip_pairs(
        num_layouts,
        seed=seed,
        image_size=image_size,
        clip_size=int(model.visual.image_size[0]),
        cooccur_prob=cooccur_prob,
        num_world=0)
    tok = open_clip.SimpleTokenizer(
        context_length=model.positional_embedding.shape[0])
    obj_txt = F.normalize(model.encode_text(tok(
        [object_caption(k) for k in range(len(OBJECT_NAMES))])), dim=-1)
    scn_txt = F.normalize(model.encode_text(tok(
        [scene_caption(s) for s in range(len(SCENE_NAMES))])), dim=-1)
    img = torch.cat([
        model.encode_image(chunk, normalize=True)
        for chunk in pairs['images'].split(256)
    ])
    kinds = pairs['kinds']
    cls, scn, home = pairs['classes'], pairs['scenes'], pairs['home']

    def sel(kind):
        return torch.tensor([k == kind for k in kinds])

    obj_pred = (img @ obj_txt.t()).argmax(1)
    scn_pred = (img @ scn_txt.t()).argmax(1)
    ctx, masked, scene, cut = (sel('in_context'), sel('masked_object'),
                               sel('scene'), sel('cutout'))
    scene_home_of = torch.full((len(SCENE_NAMES), ), -1)
    for k, s in enumerate(HOME_SCENE):
        scene_home_of[s] = k
    home_scenes = scene & (scene_home_of[scn.clamp(min=0)] >= 0)
    sim_fg = (img[masked] * obj_txt[cls[masked]]).sum(1).mean()
    sim_bg = (img[cut] * obj_txt[cls[cut]]).sum(1).mean()

    def acc(pred, target, mask):
        return float((pred[mask] == target[mask]).float().mean())

    return dict(
        object_at_home=acc(obj_pred, cls, ctx & home),
        object_off_home=acc(obj_pred, cls, ctx & ~home),
        masked_object=acc(obj_pred, cls, masked),
        scene=acc(scn_pred, scn, scene),
        cutout=acc(scn_pred, scn, cut),
        bias_scene_as_object=acc(obj_pred,
                                 scene_home_of[scn.clamp(min=0)],
                                 home_scenes),
        fg_bg_gap=float(sim_fg - sim_bg))


@torch.no_grad()
def evaluate_on_world(model: nn.Module, world_dir: str,
                      split: str = 'val') -> Dict[str, float]:
    """Zero-shot on a written world's images of ``split``.

    ``world_val_object``: the top object text is one of the image's objects;
    ``world_val_scene``: single-object images, the top scene text is the
    scene it sits on.
    """
    meta = read_world_meta(world_dir)
    list_file = osp.join(world_dir, 'ImageSets', 'Segmentation',
                         f'{split}.txt')
    with open(list_file) as f:
        ids = f.read().split()
    if not ids:
        return {}
    size = int(model.visual.image_size[0])
    raw = []
    for i in ids:
        bgr = cv2.imread(osp.join(world_dir, 'JPEGImages', i + '.jpg'))
        raw.append(bgr[..., ::-1])
    images = normalise_images(np.stack(raw), size)
    tok = open_clip.SimpleTokenizer(
        context_length=model.positional_embedding.shape[0])
    obj_txt = F.normalize(model.encode_text(tok(
        [object_caption(k) for k in range(len(OBJECT_NAMES))])), dim=-1)
    scn_txt = F.normalize(model.encode_text(tok(
        [scene_caption(s) for s in range(len(SCENE_NAMES))])), dim=-1)
    img = torch.cat([model.encode_image(c, normalize=True)
                     for c in images.split(256)])
    obj_pred = (img @ obj_txt.t()).argmax(1).tolist()
    scn_pred = (img @ scn_txt.t()).argmax(1).tolist()
    hit_obj, hit_scn, singles = 0, 0, 0
    for n, i in enumerate(ids):
        objs = meta['annotations'][i]
        hit_obj += OBJECT_NAMES[obj_pred[n]] in [o['object'] for o in objs]
        if len(objs) == 1:
            singles += 1
            hit_scn += SCENE_NAMES[scn_pred[n]] == objs[0]['scene']
    out = dict(world_val_object=hit_obj / len(ids))
    if singles:
        out['world_val_scene'] = hit_scn / singles
    return out


def ensure_toy_clip(*,
                    model_cfg: dict,
                    world: Optional[str] = None,
                    out: Optional[str] = None,
                    force: bool = False,
                    eval_layouts: int = 300,
                    log: Callable[[str], None] = print_now,
                    **overrides) -> Dict:
    """The toy CLIP weights file, trained only when not cached.

    Args:
        model_cfg: ``open_clip.CLIP`` kwargs (``toy_clip.clip_model_cfg``).
        world: a folder written by ``write_world`` (optional): renders follow
            its parameters, its train images join the training pairs, its
            val images join the zero-shot report.
        out: weights file; default ``toy_clip_path(config)`` in the cache.
            An existing ``out`` is reused only when the ``.json`` beside it
            records the same configuration.
        force: train even when a matching file exists.
        eval_layouts: held-out single-object renders for the report (0: no
            report).
        overrides: keys of ``DEFAULT_TRAIN`` (``epochs``, ``seed``, ...).

    Returns:
        dict with ``path``, ``trained`` (False when the cache was reused),
        ``config`` and ``metrics`` (losses, seconds, zero-shot accuracies).
    """
    world_params = read_world_meta(world)['params'] if world else None
    cfg = train_config(model_cfg, world_params, **overrides)
    path = out or toy_clip_path(cfg)
    meta_path = osp.splitext(path)[0] + '.json'
    saved = None
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            saved = json.load(f)
    if osp.isfile(path) and not force:
        if out is None or (saved is not None
                           and saved.get('config') == cfg):
            log(f'toy CLIP: reusing {path} (cached; --force retrains)')
            metrics = saved.get('metrics', {}) if saved else {}
            return dict(path=path, trained=False, config=cfg,
                        metrics=metrics)
        log(f'toy CLIP: {path} exists but was trained with another '
            'configuration; training anew')
    log(f'toy CLIP: training for {path}')
    result = fit_toy_clip(cfg, log=log, world_dir=world)
    metrics = {}
    if eval_layouts > 0:
        with _Determinism(cfg['seed'], cfg['threads']):
            metrics = evaluate_toy_clip(
                result['model'],
                num_layouts=eval_layouts,
                seed=EVAL_SEED_OFFSET + cfg['seed'],
                image_size=cfg['image_size'],
                cooccur_prob=cfg['cooccur_prob'])
            if world:
                metrics.update(evaluate_on_world(result['model'], world))
    metrics.update(
        first_loss=result['losses'][0] if result['losses'] else None,
        last_loss=result['losses'][-1] if result['losses'] else None,
        train_seconds=round(result['seconds'], 1))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    torch.save(result['model'].state_dict(), tmp)
    os.replace(tmp, path)
    with open(meta_path, 'w') as f:
        json.dump(dict(config=cfg, metrics=metrics), f, indent=1)
    log('toy CLIP: ' + ', '.join(
        f'{k} {v:.3f}' if isinstance(v, float) else f'{k} {v}'
        for k, v in metrics.items()))
    log(f'toy CLIP: saved {path}')
    return dict(path=path, trained=True, config=cfg, metrics=metrics)


def train_toy_clip(world_dir: Optional[str],
                   *,
                   model_cfg: dict,
                   out: Optional[str] = None,
                   epochs: Optional[float] = None,
                   seed: int = 0,
                   force: bool = False,
                   log: Callable[[str], None] = print_now,
                   **overrides) -> str:
    """Path of toy CLIP weights for the world in ``world_dir``: trained
    (defaults: 230 steps, 4.4 CPU-minutes, 5.7 min wall on a busy 2-core
    host) or reused from the cache.

    ``epochs`` default: ``DEFAULT_TRAIN['epochs']``; ``overrides`` are
    further ``DEFAULT_TRAIN`` keys and ``eval_layouts``.
    """
    if epochs is not None:
        overrides['epochs'] = epochs
    return ensure_toy_clip(
        model_cfg=model_cfg, world=world_dir, out=out, force=force, log=log,
        seed=seed, **overrides)['path']
