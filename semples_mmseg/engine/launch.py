"""Make ``--launcher pytorch`` work on a host without CUDA.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``
unconditionally and its DDP wrapper defaults to ``device_ids=[LOCAL_RANK]``;
SyncBN has no CPU kernel. On such a host :func:`prepare_launch` initialises
the process group with gloo itself (mmengine then skips ``init_dist``), makes
DDP use ``device_ids=None`` and turns SyncBN into BN, without any change to
the config file. On a CUDA host it changes nothing.
"""
import os
from typing import Any

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log

SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN', 'SyncBatchNorm')


def replace_sync_bn(node: Any) -> int:
    """Rewrite every ``type='SyncBN'`` dict under ``node`` to BN; returns count."""
    count = 0
    if isinstance(node, dict):
        if node.get('type') in SYNC_BN_TYPES:
            node['type'] = 'BN'
            count += 1
        for value in node.values():
            count += replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += replace_sync_bn(value)
    return count


def prepare_launch(cfg: Config, launcher: str) -> Config:
    """Adapt ``cfg`` (in place) for ``launcher`` on this host and return it."""
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available():
        return cfg
    n_bn = replace_sync_bn(cfg.get('model', {}))
    if cfg.get('sync_bn'):
        cfg.sync_bn = None
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper
    env = cfg.setdefault('env_cfg', {})
    env.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    print_log(
        f'CPU host: process group on gloo (rank {dist.get_rank()} of '
        f'{dist.get_world_size()}), DDP device_ids=None, {n_bn} SyncBN -> BN',
        logger='current')
    return cfg
