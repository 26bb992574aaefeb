"""Write the co-occurrence world to disk in the VOC layout.

::

    root/JPEGImages/{id}.jpg
    root/SegmentationClassAug/{id}.png     0 background, k + 1 for class k
    root/ImageSets/Segmentation/{train,train_aug,val}.txt
    root/cls_labels.npy                    dict id -> float32 (K,) multi-hot
    root/world_meta.json                   metainfo, parameters, per-image
                                           objects with their scene

Load it with ``CooccurWorldDataset`` (registered in mmseg's DATASETS).
"""
import json
import os.path as osp
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np

from .catalog import OBJECT_NAMES, SCENE_NAMES, world_metainfo
from .layout import WorldLayout, sample_layout
from .render import render_layout

SPLITS = ('train', 'val')


def split_rng(seed: int, split: str) -> np.random.Generator:
    """The generator of one split: splits never share random numbers."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    return np.random.default_rng(
        np.random.SeedSequence([seed, SPLITS.index(split)]))


def sample_world_layouts(num: int,
                         *,
                         seed: int = 0,
                         split: str = 'train',
                         cooccur_prob: float = 0.8,
                         object_count_probs: Sequence[float] = (0.5, 0.3,
                                                                0.2)
                         ) -> List[WorldLayout]:
    """The layouts ``write_world`` renders for a split (no pixels)."""
    rng = split_rng(seed, split)
    return [
        sample_layout(
            rng,
            cooccur_prob=cooccur_prob,
            object_count_probs=object_count_probs) for _ in range(num)
    ]


def describe_layout(layout: WorldLayout) -> List[dict]:
    """JSON-able objects of a layout: class, scene, co-occurring or not."""
    return [
        dict(
            object=OBJECT_NAMES[o.class_index],
            scene=SCENE_NAMES[layout.object_scene(o)],
            cooccurs=layout.cooccurs(o)) for o in layout.objects
    ]


def write_world(root: str,
                *,
                num_train: int = 600,
                num_val: int = 120,
                image_size: int = 96,
                cooccur_prob: float = 0.8,
                seed: int = 0,
                object_count_probs: Sequence[float] = (0.5, 0.3, 0.2),
                jpeg_quality: int = 95,
                progress: Optional[Callable[[int, int], None]] = None
                ) -> Dict:
    """Render and write the world; deterministic from ``seed``.

    Args:
        root: output folder (created).
        num_train, num_val: images per split (ids ``train_00000``, ...).
        image_size: side of the square images.
        cooccur_prob: P(an object sits on its home scene).
        object_count_probs: probabilities of 1, 2, 3 objects per image.
        progress: called as ``progress(done, total)`` after each image.

    Returns:
        dict with ``ids`` (split -> list of ids), ``labels`` (id -> (K,)
        float32), ``metainfo`` (see ``world_metainfo``) and ``meta_file``.
    """
    if num_train < 1 or num_val < 0:
        raise ValueError(f'num_train must be >= 1 and num_val >= 0, got '
                         f'{num_train} and {num_val}')
    root_path = Path(root)
    for sub in ('JPEGImages', 'SegmentationClassAug',
                'ImageSets/Segmentation'):
        (root_path / sub).mkdir(parents=True, exist_ok=True)
    counts = dict(train=num_train, val=num_val)
    total, done = num_train + num_val, 0
    ids: Dict[str, List[str]] = {}
    labels: Dict[str, np.ndarray] = {}
    annotations: Dict[str, List[dict]] = {}
    for split in SPLITS:
        layouts = sample_world_layouts(
            counts[split],
            seed=seed,
            split=split,
            cooccur_prob=cooccur_prob,
            object_count_probs=object_count_probs)
        ids[split] = []
        for i, layout in enumerate(layouts):
            img_id = f'{split}_{i:05d}'
            out = render_layout(layout, image_size)
            cv2.imwrite(
                osp.join(root, 'JPEGImages', img_id + '.jpg'),
                out.image[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            cv2.imwrite(
                osp.join(root, 'SegmentationClassAug', img_id + '.png'),
                out.seg)
            ids[split].append(img_id)
            labels[img_id] = layout.labels()
            annotations[img_id] = describe_layout(layout)
            done += 1
            if progress is not None:
                progress(done, total)
    lists = dict(train=ids['train'], train_aug=ids['train'], val=ids['val'])
    for name, split_ids in lists.items():
        (root_path / 'ImageSets/Segmentation' / f'{name}.txt').write_text(
            ''.join(i + '\n' for i in split_ids))
    np.save(osp.join(root, 'cls_labels.npy'), labels)
    metainfo = world_metainfo()
    meta_file = osp.join(root, 'world_meta.json')
    with open(meta_file, 'w') as f:
        json.dump(
            dict(
                metainfo=metainfo,
                params=dict(
                    num_train=num_train,
                    num_val=num_val,
                    image_size=image_size,
                    cooccur_prob=cooccur_prob,
                    seed=seed,
                    object_count_probs=list(object_count_probs),
                    jpeg_quality=jpeg_quality),
                annotations=annotations),
            f,
            indent=1,
            sort_keys=True)
    return dict(
        ids=ids, labels=labels, metainfo=metainfo, meta_file=meta_file)


def read_world_meta(root: str) -> Dict:
    """``world_meta.json`` of a folder written by ``write_world``.

    Returns:
        dict with ``metainfo``, ``params`` (the ``write_world`` arguments)
        and ``annotations`` (id -> objects with their scene).
    """
    meta_file = osp.join(root, 'world_meta.json')
    if not osp.isfile(meta_file):
        raise FileNotFoundError(
            f'{meta_file} not found: {root!r} is not a world written by '
            'write_world / the demo\'s tools/make_world.py')
    with open(meta_file) as f:
        meta = json.load(f)
    for key in ('metainfo', 'params', 'annotations'):
        if key not in meta:
            raise KeyError(f'{meta_file} has no {key!r} entry')
    return meta
