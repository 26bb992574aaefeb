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
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor

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
            print_log(f'{path} is left from an earlier run (fingerprint '
                      f'{str(old)[:12]}, this run {fingerprint[:12]}): '
                      'replaced by this run\'s initial CAM weights',
                      logger='current', level=logging.WARNING)
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
    hint = ('it holds the CAM weights this run started from (stage 3 starts '
            'from them): restart the run without --resume, or set '
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
        found = (ckpt.get('meta') or {}).get('fingerprint')
    else:  # a bare state dict (written before fingerprints)
        state, found = ckpt, None
    if expected is not None:
        actual = tensor_fingerprint(state)
        if actual != expected:
            raise ValueError(
                f'{path} is not the file this run wrote (fingerprint '
                f'{actual[:12]}, the run recorded {expected[:12]}'
                f'{", the file claims " + found[:12] if found else ""}): '
                f'another run\'s initial weights; {hint}')
    return state
