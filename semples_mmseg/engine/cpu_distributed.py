"""Make ``--launcher pytorch`` work on a host without CUDA.

mmengine 0.10's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``
unconditionally, its default DDP wrapper passes ``device_ids=[LOCAL_RANK]``
and SyncBN has no CPU kernel. On such a host :func:`prepare_launch`
initialises the process group with gloo from torchrun's environment (the
Runner then skips ``init_dist`` because ``is_distributed()`` is true), makes
DDP use ``device_ids=None`` and turns SyncBN into BN, all in the loaded
config, never in the config file. On a CUDA host, and for every other
launcher, it changes nothing but ``cfg.launcher``.
"""
import datetime
import gc
import os
from inspect import isclass
from typing import Any, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dist import init_dist
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel

SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN', 'SyncBatchNorm')
TORCHRUN_ENV = ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


def replace_sync_bn(node: Any) -> int:
    """Rewrite every dict with a SyncBN ``type`` under ``node`` to ``'BN'``.

    Works in place on dicts (ConfigDicts included), lists and tuples.
    Returns how many dicts were rewritten.
    """
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


def cpu_model_wrapper_cfg(cfg: Config) -> dict:
    """The wrapper mmengine would build, with ``device_ids=None`` for DDP.

    Without ``model_wrapper_cfg`` mmengine builds MMDistributedDataParallel
    with ``broadcast_buffers=False`` and ``cfg.find_unused_parameters``; a
    user's own wrapper config keeps its type and keys.
    """
    user = cfg.get('model_wrapper_cfg')
    if user is None:
        return dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper = dict(user)
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper_type = wrapper['type']
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    if isclass(wrapper_type) and issubclass(wrapper_type,
                                            DistributedDataParallel):
        wrapper['device_ids'] = None
    return wrapper


def init_gloo_from_env(dist_cfg: dict) -> None:
    """``init_process_group('gloo')`` from the variables torchrun sets."""
    missing = [key for key in TORCHRUN_ENV if key not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs the environment variables {missing} '
            'that torchrun sets; start the job with tools/dist_train.sh or '
            'torchrun, not plain python')
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


def prepare_launch(cfg: Config, launcher: str) -> Config:
    """Adapt ``cfg`` (in place) for ``launcher`` on this host and return it.

    Sets ``cfg.launcher``. Only for ``launcher == 'pytorch'`` on a host
    without CUDA: gloo process group, ``env_cfg.dist_cfg.backend='gloo'``,
    DDP ``device_ids=None``, SyncBN -> BN, ``sync_bn`` off; one log line.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available():
        return cfg
    n_bn = replace_sync_bn(cfg.get('model', {}))
    dropped_sync_bn = cfg.get('sync_bn') is not None
    if dropped_sync_bn:
        cfg.sync_bn = None
    cfg.model_wrapper_cfg = cpu_model_wrapper_cfg(cfg)
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg') is None:
        cfg.env_cfg['dist_cfg'] = dict()
    cfg.env_cfg['dist_cfg']['backend'] = 'gloo'
    if not dist.is_initialized():
        init_gloo_from_env(cfg.env_cfg['dist_cfg'])
    print_log(
        f'CPU host: process group on gloo (rank {dist.get_rank()} of '
        f'{dist.get_world_size()}), DDP device_ids=None, {n_bn} SyncBN -> BN'
        + (', cfg.sync_bn ignored' if dropped_sync_bn else ''),
        logger='current')
    return cfg


def start_process_group(cfg: Config) -> None:
    """Initialise the process group of ``cfg.launcher`` now, as the Runner
    would (mmengine's ``init_dist`` with ``env_cfg.dist_cfg``), so that a
    tool can agree across ranks before the Runner is built; the Runner then
    skips its own ``init_dist``. Call after :func:`prepare_launch` (which
    already starts gloo on a CPU host). A no-op for ``launcher='none'`` or
    an initialised group."""
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or dist.is_initialized():
        return
    init_dist(launcher,
              **(cfg.get('env_cfg') or {}).get('dist_cfg', None) or {})


def finish_launch(runner: Optional[Any] = None) -> None:
    """Tear the process group down once every rank is done (tools call it last).

    mmengine never destroys the group, and a gloo group still alive at
    interpreter exit aborts a rank ("terminate called without an active
    exception") when its peer has already closed the connection. DDP keeps
    its group alive even after ``destroy_process_group``, so ``runner``'s
    model is unwrapped (and collected) first. A no-op when not distributed.
    """
    if not dist.is_initialized():
        return
    if runner is not None and is_model_wrapper(runner.model):
        runner.model = runner.model.module
        gc.collect()
    dist.barrier()
    dist.destroy_process_group()
