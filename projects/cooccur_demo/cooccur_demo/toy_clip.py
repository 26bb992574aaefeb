"""The toy CLIP's weight cache: one file per training configuration.

The toy CLIP is an ``open_clip.CLIP`` small enough to train on a CPU; its
keyword arguments are written once, in the demo's configs
(``configs/_base_/models/toy_clip.py``), and read from the config a tool
passes (``clip_model_cfg``). ``toy_clip_training`` trains it on the
co-occurrence world and saves a plain state dict at ``toy_clip_path(cfg)``
(``~/.cache/semples_mmseg/toy_clip/<digest>.pt``; ``$SEMPLES_CACHE``
replaces ``~/.cache/semples_mmseg``), so::

    clip = open_clip.CLIP(**model_cfg)
    clip.load_state_dict(torch.load(path, weights_only=True))

or in a config ``clip_guide=dict(type='FrozenCLIPGuide', model_cfg=...,
pretrained=path, quick_gelu=False, class_names=...)``.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config


def clip_model_cfg(config: str) -> dict:
    """``model.clip_guide.model_cfg`` of ``config``: the ``open_clip.CLIP``
    keyword arguments of the CLIP that config builds."""
    guide = Config.fromfile(config).model.get('clip_guide')
    if not guide or not guide.get('model_cfg'):
        raise KeyError(f'{config} has no model.clip_guide.model_cfg')
    return guide.model_cfg.to_dict()


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
    ``toy_clip_training.train_config`` builds it.
    """
    if 'model_cfg' not in train_cfg or 'seed' not in train_cfg:
        raise KeyError('toy_clip_path: train_cfg needs "model_cfg" and '
                       f'"seed", got keys {sorted(train_cfg)}')
    return osp.join(root or cache_root(), 'toy_clip',
                    config_digest(train_cfg) + '.pt')
