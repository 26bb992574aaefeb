"""The tensors of a checkpoint file, for loading one part of a model."""
from typing import Dict

from mmengine.runner import CheckpointLoader
from torch import Tensor


def read_checkpoint_state(filename: str,
                          prefix: str = '') -> Dict[str, Tensor]:
    """The state dict in ``filename`` (a local file or a URL mmengine reads).

    The file's ``state_dict`` or ``model`` entry (or the whole file), with
    ``module.`` cut. With ``prefix`` (e.g. ``'cam_net.'``), a file that
    holds keys under it (a segmentor checkpoint) gives those keys with the
    prefix cut; any other file gives all its keys (a CAM network alone).
    """
    ckpt = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    if isinstance(ckpt, dict):
        ckpt = ckpt.get('state_dict', ckpt.get('model', ckpt))
    if not isinstance(ckpt, dict) or not all(
            isinstance(v, Tensor) for v in ckpt.values()):
        raise ValueError(f'{filename} holds no state dict of tensors')
    state = {k.removeprefix('module.'): v for k, v in ckpt.items()}
    if prefix and any(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items()
                if k.startswith(prefix)}
    return state
