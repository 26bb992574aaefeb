"""The tensors of a checkpoint file, for loading one part of a model."""
from typing import Dict, Sequence

from mmengine.runner import CheckpointLoader
from torch import Tensor
from torch.nn import Module

MAX_NAMED = 5  # keys named in an error


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


def check_init_state(module: Module,
                     filename: str,
                     *,
                     prefix: str = '',
                     ignored: Sequence[str] = ('fc.', ),
                     hint: str = '') -> None:
    """Refuse an initial-weight file that does not fit ``module``.

    mmengine's ``Pretrained`` init loads leniently and only logs what is
    missing, so a file of other names would start a run from random weights.
    Raises ValueError naming ``filename`` and the keys when a tensor of
    ``module`` is absent (BatchNorm ``num_batches_tracked`` counters may
    be), a shape differs, or the file holds a key ``module`` lacks (those
    under ``ignored``, e.g. a classifier, aside). ``prefix`` as
    ``read_checkpoint_state``; ``hint`` ends the message.
    """
    state = read_checkpoint_state(filename, prefix=prefix)
    own = module.state_dict()
    missing = [k for k in own if k not in state
               and not k.endswith('num_batches_tracked')]
    surplus = [k for k in state
               if k not in own and not k.startswith(tuple(ignored))]
    wrong = [f'{k} {tuple(state[k].shape)} (needs {tuple(own[k].shape)})'
             for k in own if k in state and state[k].shape != own[k].shape]
    if not (missing or surplus or wrong):
        return
    parts = []
    for what, keys in (('missing', missing), ('unexpected', surplus),
                       ('of another shape', wrong)):
        if keys:
            parts.append(f'{len(keys)} {what} key(s), e.g. '
                         f"{', '.join(keys[:MAX_NAMED])}")
    raise ValueError(f'{filename} does not fit {type(module).__name__}: ' +
                     '; '.join(parts) + (f'. {hint}' if hint else ''))
