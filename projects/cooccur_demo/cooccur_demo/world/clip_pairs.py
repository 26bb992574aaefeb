"""(image, caption) pairs of the world for training and probing a toy CLIP.

Images come out as the SemPLeS segmentor feeds CLIP: ImageNet-normalised RGB,
resized to the CLIP side (bilinear, align_corners=True), and masked views are
``M * X`` / ``(1 - M) * X`` with a soft mask M, so a masked-out pixel is 0
(the ImageNet mean colour). Kinds of pairs, from one single-object layout:

- ``in_context``: the object on its band's scene -> object (or mixed) caption;
  objects sit on their home scene with ``cooccur_prob``: the bias.
- ``scene``: the same scene without the object -> scene caption.
- ``masked_object``: ``M * X`` -> object caption.
- ``cutout``: ``(1 - M) * X`` -> scene caption.

and ``world``: full world layouts (1-3 objects) -> 'a photo of a boat and a
crab.' or, with ``mixed_caption_prob``, 'a photo of a boat on water and a crab
on sand.'; ``world_pairs_from_folder`` gives the same kind of pairs for the
images of a folder written by ``write_world`` (kind ``world_file``).
"""
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .captions import (mixed_caption, object_caption, objects_caption,
                       scene_caption, scene_objects_caption)
from .catalog import HOME_SCENE, OBJECT_NAMES, SCENE_NAMES
from .layout import sample_layout
from .render import render_layout

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
PAIR_KINDS = ('in_context', 'scene', 'masked_object', 'cutout', 'world',
              'world_file')


def normalise_images(images: np.ndarray, clip_size: int) -> Tensor:
    """(N, S, S, 3) uint8 RGB -> (N, 3, s, s) ImageNet-normalised, resized."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1,
                                                               2).float()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    x = (x - mean) / std
    if x.shape[-1] != clip_size:
        x = F.interpolate(
            x, size=(clip_size, clip_size), mode='bilinear',
            align_corners=True)
    return x


def soft_mask(rng: np.random.Generator, seg: np.ndarray, clip_size: int,
              amplitude: tuple) -> Tensor:
    """(s, s) soft mask from a binary object mask: sometimes dilated (a
    rough CAM keeps some scene), blurred, scaled to a max in ``amplitude``."""
    m = (seg > 0).astype(np.float32)
    side = seg.shape[0]
    grow = int(rng.choice([0, 0, 1, 2, 3]) * side / 96)
    if grow > 0:
        m = cv2.dilate(m, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    sigma = rng.uniform(0, 2.0) * side / 96
    if sigma > 0.3:
        m = cv2.GaussianBlur(m, (0, 0), sigma)
        m = m / max(float(m.max()), 1e-6)
    m = m * rng.uniform(*amplitude)
    t = torch.from_numpy(m)[None, None]
    if side != clip_size:
        t = F.interpolate(
            t, size=(clip_size, clip_size), mode='bilinear',
            align_corners=True)
    return t[0, 0]


def full_image_caption(objects: List[tuple], rng: np.random.Generator,
                       scene_prob: float) -> str:
    """Caption of a whole world image from its (class, scene) pairs: names
    the scenes too with probability ``scene_prob``, else the objects only."""
    if rng.random() < scene_prob:
        return scene_objects_caption(objects)
    classes = [c for c, _ in objects]
    if len(classes) == 1:
        return object_caption(classes[0], int(rng.integers(2)))
    return objects_caption(classes)


def make_clip_pairs(num_layouts: int,
                    *,
                    seed: int,
                    image_size: int = 96,
                    clip_size: int = 64,
                    cooccur_prob: float = 0.8,
                    num_world: Optional[int] = None,
                    mixed_caption_prob: float = 0.3) -> Dict:
    """Render ``num_layouts`` single-object layouts (4 pairs each) and
    ``num_world`` world images (default ``num_layouts // 2``).

    Returns:
        dict with ``images`` (N, 3, s, s) float32, ``captions`` (N strings),
        ``kinds`` (N), ``classes`` (N: the object shown, or the one cut out
        for ``cutout``; -1 for a bare scene; the first object for world
        images), ``scenes`` (N, -1 for none) and ``home`` (N bool: the
        object sits on its home scene).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    raw: List[np.ndarray] = []
    masked: List[tuple] = []  # (raw index, mask, foreground?)
    captions, kinds, classes, scenes, home = [], [], [], [], []

    def add(caption, kind, cls, scene, at_home):
        captions.append(caption)
        kinds.append(kind)
        classes.append(cls)
        scenes.append(scene)
        home.append(at_home)

    for _ in range(num_layouts):
        layout = sample_layout(
            rng, cooccur_prob=cooccur_prob, object_count_probs=(1., ))
        obj = layout.objects[0]
        c, s = obj.class_index, layout.object_scene(obj)
        at_home = layout.cooccurs(obj)
        out = render_layout(layout, image_size)
        if rng.random() < mixed_caption_prob:
            text = mixed_caption(c, s)
        else:
            text = object_caption(c, int(rng.integers(2)))
        raw.append(out.image)
        masked.append(None)
        add(text, 'in_context', c, s, at_home)
        raw.append(out.scene)
        masked.append(None)
        add(scene_caption(s), 'scene', -1, s, False)
        fg = soft_mask(rng, out.seg, clip_size, (0.6, 1.0))
        masked.append((len(raw) - 2, fg, True))
        add(object_caption(c, int(rng.integers(2))), 'masked_object', c, -1,
            at_home)
        bg = soft_mask(rng, out.seg, clip_size, (0.8, 1.0))
        masked.append((len(raw) - 2, bg, False))
        add(scene_caption(s), 'cutout', c, s, False)
    for _ in range(num_layouts // 2 if num_world is None else num_world):
        layout = sample_layout(rng, cooccur_prob=cooccur_prob)
        present = [o.class_index for o in layout.objects]
        raw.append(render_layout(layout, image_size).image)
        masked.append(None)
        text = full_image_caption(
            [(o.class_index, layout.object_scene(o)) for o in layout.objects],
            rng, mixed_caption_prob)
        add(text, 'world', present[0], layout.object_scene(layout.objects[0]),
            layout.cooccurs(layout.objects[0]))
    base = normalise_images(np.stack(raw), clip_size)
    images = torch.empty((len(captions), 3, clip_size, clip_size))
    b = 0
    for i, m in enumerate(masked):
        if m is None:
            images[i] = base[b]
            b += 1
        else:
            src, mask, foreground = m
            x = base[src]
            images[i] = x * mask if foreground else x * (1 - mask)
    return dict(
        images=images,
        captions=captions,
        kinds=kinds,
        classes=torch.tensor(classes),
        scenes=torch.tensor(scenes),
        home=torch.tensor(home))


def world_pairs_from_folder(root: str,
                            annotations: Dict[str, List[dict]],
                            *,
                            seed: int,
                            clip_size: int,
                            split: str = 'train',
                            mixed_caption_prob: float = 0.3) -> Dict:
    """(image, full caption) pairs of a written world's ``split`` images.

    Args:
        root: folder written by ``write_world``.
        annotations: its ``world_meta.json`` annotations (id -> objects with
            ``object``, ``scene`` and ``cooccurs``).

    Returns:
        the dict of ``make_clip_pairs`` with kind ``world_file`` for all.
    """
    list_file = osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt')
    if not osp.isfile(list_file):
        raise FileNotFoundError(f'{list_file} not found (world split '
                                f'{split!r} of {root!r})')
    with open(list_file) as f:
        ids = f.read().split()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    raw, captions, classes, scenes, home = [], [], [], [], []
    for img_id in ids:
        path = osp.join(root, 'JPEGImages', img_id + '.jpg')
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f'cannot read world image {path}')
        if img_id not in annotations or not annotations[img_id]:
            raise KeyError(f'world_meta.json of {root!r} has no objects for '
                           f'image {img_id!r}')
        objs = annotations[img_id]
        pairs = [(OBJECT_NAMES.index(o['object']),
                  SCENE_NAMES.index(o['scene'])) for o in objs]
        raw.append(bgr[..., ::-1])
        captions.append(full_image_caption(pairs, rng, mixed_caption_prob))
        classes.append(pairs[0][0])
        scenes.append(pairs[0][1])
        home.append(HOME_SCENE[pairs[0][0]] == pairs[0][1])
    return dict(
        images=normalise_images(np.stack(raw), clip_size),
        captions=captions,
        kinds=['world_file'] * len(ids),
        classes=torch.tensor(classes),
        scenes=torch.tensor(scenes),
        home=torch.tensor(home))


def concat_pairs(*parts: Dict) -> Dict:
    """Concatenate pair dicts of ``make_clip_pairs`` form."""
    return dict(
        images=torch.cat([p['images'] for p in parts]),
        captions=[c for p in parts for c in p['captions']],
        kinds=[k for p in parts for k in p['kinds']],
        classes=torch.cat([p['classes'] for p in parts]),
        scenes=torch.cat([p['scenes'] for p in parts]),
        home=torch.cat([p['home'] for p in parts]))
