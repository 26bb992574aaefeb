"""A toy open_clip model small enough to train on a CPU, and its weight cache.

``TOY_CLIP_CFG`` are the keyword arguments of ``open_clip.CLIP``: a 48-pixel
ViT (patch 8; the segmentor resizes the world's 96-pixel crops to it) and a
2-layer text transformer over open_clip's standard tokenizer (vocab 49408,
context 77). ``tools/cooccur/train_toy_clip.py`` trains it on the
co-occurrence world and saves a plain state dict at ``toy_clip_path(cfg)``
(``~/.cache/semples_mmseg/toy_clip/<digest>.pt``; ``$SEMPLES_CACHE``
replaces ``~/.cache/semples_mmseg``), so::

    clip = open_clip.CLIP(**TOY_CLIP_CFG)
    clip.load_state_dict(torch.load(path, weights_only=True))

or in a config ``clip_guide=dict(type='FrozenCLIPGuide', model_cfg=TOY_CLIP_CFG,
pretrained=path, class_names=...)``.
"""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import Optional

TOY_CLIP_CFG = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=48, patch_size=8, width=96, layers=3,
                    head_width=32, mlp_ratio=4.0),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2,
                  layers=2),
)


def toy_clip_cfg() -> dict:
    """A deep copy of ``TOY_CLIP_CFG`` (safe to edit)."""
    return copy.deepcopy(TOY_CLIP_CFG)


def cache_root() -> str:
    """``$SEMPLES_CACHE`` or ``~/.cache/semples_mmseg``."""
    return os.environ.get('SEMPLES_CACHE') or osp.join(
        osp.expanduser('~'), '.cache', 'semples_mmseg')


def config_digest(cfg: dict) -> str:
    """16 hex digits of the SHA-256 of ``cfg`` as canonical JSON."""
    text = json.dumps(cfg, sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def toy_clip_path(train_cfg: dict, root: Optional[str] = None) -> str:
    """``<root>/toy_clip/<digest of train_cfg>.pt``, root = ``cache_root()``.

    ``train_cfg`` must hold everything the weights depend on (the model
    config, the seed, the world parameters, the data and optimiser
    settings): equal configs share one file, any change trains anew.
    ``semples_mmseg.cooccur.toy_clip_training.train_config`` builds it.
    """
    if 'model_cfg' not in train_cfg or 'seed' not in train_cfg:
        raise KeyError('toy_clip_path: train_cfg needs "model_cfg" and '
                       f'"seed", got keys {sorted(train_cfg)}')
    return osp.join(root or cache_root(), 'toy_clip',
                    config_digest(train_cfg) + '.pt')


#: the former name, kept for callers
toy_clip_cache_path = toy_clip_path
