"""mmseg's VisionTransformer that refuses weights it cannot load whole."""
import math
from typing import Dict, List

import torch
from mmengine.runner import CheckpointLoader

from mmseg.models.backbones import VisionTransformer
from mmseg.registry import MODELS

CONVERT_HINT = ("convert timm / DeiT weights to mmseg's names with mmseg's "
                'tools/model_converters/vit2mmseg.py (docs/WEIGHTS.md)')


def _listed(names: List[str], limit: int = 8) -> str:
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


@MODELS.register_module()
class StrictVisionTransformer(VisionTransformer):
    """``VisionTransformer`` whose ``Pretrained`` weights must fit exactly.

    mmseg's own loads them with ``strict=False``: a DeiT checkpoint in
    timm's names loads nothing and only prints a warning. Here a checkpoint
    with missing, unexpected or wrongly shaped keys is refused, naming them
    and the file, before training. The positional embedding is resized to
    ``img_size`` (``interpolate_mode``) as mmseg does. Arguments are
    ``VisionTransformer``'s.
    """

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            return super().init_weights()
        path = cfg['checkpoint']
        checkpoint = CheckpointLoader.load_checkpoint(
            path, map_location='cpu', logger=None)
        state = checkpoint.get('state_dict', checkpoint)
        self.check_state_dict(state, path)
        self.load_state_dict(state, strict=True)

    def check_state_dict(self, state: Dict[str, torch.Tensor],
                         source: str) -> None:
        """Resize ``pos_embed`` in place to this model's grid; raise a
        ``ValueError`` naming ``source`` and every key that does not fit."""
        own = self.state_dict()
        pos, own_pos = state.get('pos_embed'), own['pos_embed']
        if pos is not None and pos.shape != own_pos.shape and pos.dim() == 3 \
                and pos.shape[-1] == own_pos.shape[-1]:
            old = int(math.sqrt(pos.shape[1] - 1))
            h, w = self.img_size
            state['pos_embed'] = self.resize_pos_embed(
                pos, (h // self.patch_size, w // self.patch_size),
                (old, old), self.interpolate_mode)
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = [
            f'{k} {tuple(state[k].shape)} (model: {tuple(v.shape)})'
            for k, v in own.items()
            if k in state and state[k].shape != v.shape
        ]
        problems = [
            f'{what}: {_listed(keys)}' for what, keys in (
                ('missing', missing), ('unexpected', unexpected),
                ('wrong shapes', shapes)) if keys
        ]
        if problems:
            raise ValueError(f'{source} does not fit '
                             f'{type(self).__name__}: ' +
                             '; '.join(problems) + f'; {CONVERT_HINT}')
