"""``semples_cam_init.pth``: stage 3's "initial" CAM weights, bound to a run.

The file is written atomically at the start of a run (epoch 0) from the CAM
network's weights at that moment, as ``{'meta': {...}, 'state_dict': ...}``
with ``meta['fingerprint']`` = SHA-256 of the tensors. The run keeps the
fingerprint in its message hub (so in every checkpoint it writes): a resumed
run accepts the file only if its fingerprint is the recorded one, and a new
run (epoch 0) rewrites a file left by an earlier attempt.
"""
import logging
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from mmengine.dist import barrier
from mmengine.logging import print_log
from torch import Tensor, nn

from ...utils.atomic_files import torch_save_atomically
from ...utils.fingerprint import tensor_fingerprint

CAM_INIT_FILE = 'semples_cam_init.pth'
FINGERPRINT_INFO_KEY = 'semples_cam_init_fingerprint'


def write_cam_init(path: str, state: Dict[str, Tensor],
                   source: Optional[str]) -> str:
    """Write ``state`` atomically with its fingerprint; return the latter.

    A file already there with another fingerprint (an earlier attempt's) is
    replaced, and the log says so.
    """
    fingerprint = tensor_fingerprint(state)
    if osp.exists(path):
        old = _meta_or_none(path).get('fingerprint')
        if old != fingerprint:
            print_log(f'{path} is left from an earlier run: replaced by this '
                      'run\'s initial CAM weights', logger='current',
                      level=logging.WARNING)
    torch_save_atomically(
        dict(meta=dict(fingerprint=fingerprint, source=source),
             state_dict=state), path)
    return fingerprint


def _meta_or_none(path: str) -> dict:
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception:  # unreadable / half-written: replaced anyway
        return {}
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    return meta if isinstance(meta, dict) else {}


def read_cam_init(path: str, expected: Optional[str]) -> Dict[str, Tensor]:
    """The CAM state of this run's ``semples_cam_init.pth``.

    Raises naming the file when it is missing, unreadable (half-written) or
    another run's (fingerprint differs from ``expected``, the one recorded
    by this run). ``expected=None`` (a checkpoint written before
    fingerprints) checks readability only.
    """
    hint = ('restart the run without --resume, or set '
            'train_cfg.cam_init_checkpoint to the baseline CAM checkpoint')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is missing; {hint}')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:
        raise ValueError(f'{path} cannot be read (half-written or corrupt: '
                         f'{exc}); {hint}') from exc
    if isinstance(ckpt, dict) and 'state_dict' in ckpt:
        state = ckpt['state_dict']
    else:  # a bare state dict (written before fingerprints)
        state = ckpt
    if expected is not None and tensor_fingerprint(state) != expected:
        raise ValueError(f'{path} is not the file this run wrote (another '
                         f'run\'s initial weights); {hint}')
    return state


def start_run_cam_init(runner, cam_net: nn.Module) -> None:
    """Epoch 0: ``cam_net``'s weights into ``{work_dir}/semples_cam_init.pth``
    (rank 0), their fingerprint into the message hub (every rank)."""
    state = {k: v.detach().cpu().clone()
             for k, v in cam_net.state_dict().items()}
    source = runner.cfg.get('load_from') or (
        cam_net.pretrained_checkpoint()
        if hasattr(cam_net, 'pretrained_checkpoint') else None)
    if runner.rank == 0:
        fingerprint = write_cam_init(
            osp.join(runner.work_dir, CAM_INIT_FILE), state, source)
    else:
        fingerprint = tensor_fingerprint(state)
    runner.message_hub.update_info(FINGERPRINT_INFO_KEY, fingerprint)
    barrier()


def read_run_cam_init(runner) -> Tuple[str, Dict[str, Tensor]]:
    """(path, state) of this run's ``semples_cam_init.pth``, checked against
    the fingerprint the run recorded."""
    path = osp.join(runner.work_dir, CAM_INIT_FILE)
    return path, read_cam_init(
        path, runner.message_hub.get_info(FINGERPRINT_INFO_KEY))
