"""A content hash of tensors: equal weights, equal fingerprint."""
import hashlib
from typing import Dict

import torch
from torch import Tensor


def tensor_fingerprint(state: Dict[str, Tensor]) -> str:
    """SHA-256 over the sorted keys, dtypes, shapes and bytes of ``state``."""
    digest = hashlib.sha256()
    for key in sorted(state):
        value = state[key].detach().cpu().contiguous()
        digest.update(f'{key}|{value.dtype}|{tuple(value.shape)}|'.encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes()
                      if value.numel() else b'')
    return digest.hexdigest()
