"""The CAM network's start weights: read from a checkpoint file, loaded
strictly."""
from typing import Dict

from mmengine.runner import CheckpointLoader
from torch import Tensor, nn

CAM_PREFIX = 'cam_net.'


def read_cam_state(path: str) -> Dict[str, Tensor]:
    """The CAM network's weights in ``path``: the ``cam_net.*`` entries of a
    checkpoint, or a bare CAM-network state dict."""
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    cam = {k[len(CAM_PREFIX):]: v
           for k, v in state.items() if k.startswith(CAM_PREFIX)}
    return cam or state


def load_cam_state(cam_net: nn.Module, state: Dict[str, Tensor],
                   source: str) -> None:
    """``cam_net.load_state_dict(state, strict=True)``, naming ``source``."""
    try:
        cam_net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f'{source} does not fit the CAM network: {exc}'
                         ) from None
