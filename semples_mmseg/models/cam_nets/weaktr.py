"""WeakTr: DeiT-S with K class tokens, a CAM head and adaptive attention fusion."""
from contextlib import nullcontext
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseg.registry import MODELS
from ..utils.checkpoint_state import read_checkpoint_state
from .adaptive_attention_fusion import (AdaptiveAttentionFusion,
                                        fuse_attention_maps,
                                        per_head_features)
from .deit_multi_token import MultiTokenDeiT

# ImageNet DeiT keys WeakTr does not use: the final LayerNorm and classifier.
DEIT_UNUSED_PREFIXES = ('norm.', 'head.')


def expand_deit_tokens(state: Dict[str, Tensor],
                       num_tokens: int,
                       grid: int,
                       source: str = 'checkpoint') -> Dict[str, Tensor]:
    """Fit DeiT-layout ``cls_token`` / ``pos_embed`` to K tokens and a grid.

    A one-token checkpoint has its class token and class position repeated
    K times; patch positions (a square grid) are resized bicubically to
    ``grid`` x ``grid`` (``size=``, align_corners=False, as WeakTr does when
    it loads DeiT).
    """
    state = dict(state)
    for key in ('cls_token', 'pos_embed'):
        if key not in state:
            raise KeyError(f'{source} has no {key!r}')
    cls = state['cls_token']
    if cls.shape[1] == 1 and num_tokens > 1:
        state['cls_token'] = cls.repeat(1, num_tokens, 1)
    elif cls.shape[1] != num_tokens:
        raise ValueError(f'{source}: {cls.shape[1]} class tokens, not '
                         f'{num_tokens}')
    pos = state['pos_embed']
    n_cls = cls.shape[1]
    cls_pos, patch_pos = pos[:, :n_cls], pos[:, n_cls:]
    if n_cls == 1 and num_tokens > 1:
        cls_pos = cls_pos.repeat(1, num_tokens, 1)
    side = int(round(patch_pos.shape[1]**0.5))
    if side * side != patch_pos.shape[1]:
        raise ValueError(f'{source}: pos_embed {tuple(pos.shape)} leaves no '
                         'square grid of patch positions (distilled DeiT?)')
    if side != grid:
        c = patch_pos.shape[-1]
        patch_pos = F.interpolate(
            patch_pos.reshape(1, side, side, c).permute(0, 3, 1, 2),
            size=(grid, grid),
            mode='bicubic',
            align_corners=False).permute(0, 2, 3, 1).reshape(1, grid * grid, c)
    state['pos_embed'] = torch.cat([cls_pos, patch_pos], dim=1)
    return state


@MODELS.register_module()
class WeakTrCAMNet(BaseModule):
    """The WeakTr CAM network (METHOD section 1); DESIGN.md CAM contract.

    Output of ``forward(x)`` for x (B, 3, H, W), h = H // patch_size,
    w = W // patch_size (A: the AAF-weighted mean attention (B, N, N)):

    - ``cams``: the class maps used for masks and inference: ``fine_cams``
      (default) or ``fused_cams`` (``patch_refine=False``);
    - ``fine_cams``: fine CAM F (B, K, h, w), the fused CAM refined by the
      patch affinity Pa = A[:, K:, K:]: F[b, k, i] = sum_j Pa[b, i, j]
      fused[b, k, j]; no sigmoid;
    - ``fused_cams``: X * ReLU(Z) (B, K, h, w), X = A[:, :K, K:];
    - ``cam_logits_z``: the CAM head's Z (B, K, h, w);
    - ``cls_logits``: class-token scores (B, K): each last-block class token
      averaged over its C channels (no final LayerNorm), as WeakTr does.

    Args:
        num_classes: K, one class token each.
        freeze_backbone: SemPLeS mode: the DeiT gets no gradient (its
            parameters are frozen and its patch tokens detached); only the
            CAM head and AAF learn. Train mode still applies, so drop-path
            stays active in the frozen backbone.
        detach_coarse_cam: detach Z inside X * ReLU(Z), as WeakTr's own
            training does (its head then learns only from GAP(Z)). Off by
            default: under SemPLeS the head learns through F.
        patch_refine: ``cams`` is the fine CAM F (default). False makes it
            the fused CAM X * ReLU(Z), like WeakTr's CAM generation without
            ``--patch-attn-refine`` (for small backbones trained from
            scratch, whose patch affinity is uninformative).
        init_cfg: mmengine init config. ``dict(type='Pretrained',
            checkpoint=PATH)`` is handled here, not by mmengine's loader:
            PATH is a DeiT ImageNet checkpoint (timm/DeiT names, one class
            token: token and its position repeated K times, patch positions
            resized to the grid, ``norm`` / ``head`` ignored; backbone
            only), a checkpoint converted by
            ``tools/model_converters/weaktr2semples.py`` (every key), or a
            segmentor checkpoint of ours (its ``cam_net.*``). Read by
            ``init_weights()`` only, which mmengine's Runner calls for
            training: building the network for inference reads no file.
            Other init types go to mmengine.
        pretrained: shorthand for ``init_cfg=dict(type='Pretrained',
            checkpoint=pretrained)`` (the configs use it).

    Input sizes that are not multiples of ``patch_size`` are floored like
    WeakTr does (see ``MultiTokenDeiT.forward``); other grids than
    ``img_size // patch_size`` get bicubically resized patch positions.
    """

    def __init__(self,
                 *,
                 num_classes: int,
                 img_size: int = 224,
                 patch_size: int = 16,
                 embed_dims: int = 384,
                 depth: int = 12,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 drop_path_rate: float = 0.1,
                 aaf_pool: str = 'max',
                 aaf_reduction: int = 8,
                 freeze_backbone: bool = False,
                 detach_coarse_cam: bool = False,
                 patch_refine: bool = True,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('WeakTrCAMNet: pretrained or init_cfg, '
                                 'not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        self.pretrained_checkpoint()  # a misused init_cfg is named now
        self.num_classes = num_classes
        self.num_heads = num_heads
        self.freeze_backbone = freeze_backbone
        self.detach_coarse_cam = detach_coarse_cam
        self.patch_refine = patch_refine
        self.backbone = MultiTokenDeiT(
            num_tokens=num_classes,
            img_size=img_size,
            patch_size=patch_size,
            embed_dims=embed_dims,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            drop_path_rate=drop_path_rate)
        self.head = nn.Conv2d(embed_dims, num_classes, 3, padding=1)
        self.aaf = AdaptiveAttentionFusion(
            num_maps=depth * num_heads,
            feat_dims=embed_dims // num_heads,
            reduction=aaf_reduction,
            pool=aaf_pool)
        if freeze_backbone:
            self.backbone.requires_grad_(False)

    def _init_cfgs(self) -> List[dict]:
        if self.init_cfg is None:
            return []
        return ([self.init_cfg]
                if isinstance(self.init_cfg, dict) else list(self.init_cfg))

    def pretrained_checkpoint(self) -> Optional[str]:
        """The checkpoint of the ``Pretrained`` init_cfg entry, if any."""
        found = [c for c in self._init_cfgs() if c.get('type') == 'Pretrained']
        if len(found) > 1:
            raise ValueError(f'WeakTrCAMNet: several Pretrained init_cfg '
                             f'entries {found}')
        if not found:
            return None
        extra = set(found[0]) - {'type', 'checkpoint', 'map_location'}
        if extra:
            raise ValueError(f'WeakTrCAMNet: Pretrained init_cfg keys '
                             f'{sorted(extra)} are not supported')
        return found[0].get('checkpoint')

    @property
    def pretrained(self) -> Optional[str]:
        return self.pretrained_checkpoint()

    def init_weights(self) -> None:
        """mmengine init for non-Pretrained entries, then the checkpoint."""
        checkpoint = self.pretrained_checkpoint()
        others = [c for c in self._init_cfgs() if c.get('type') != 'Pretrained']
        saved, self.init_cfg = self.init_cfg, (others or None)
        try:
            super().init_weights()
        finally:
            self.init_cfg = saved
        if checkpoint is not None:
            self.load_pretrained(
                read_checkpoint_state(checkpoint, prefix='cam_net.'),
                source=checkpoint)

    def load_pretrained(self, state: Dict[str, Tensor], source: str) -> None:
        """Load a converted WeakTr state (all keys) or a DeiT one (backbone),
        strictly; a mismatch names ``source`` and the keys."""
        grid = self.backbone.grid
        target: nn.Module = self
        if any(k.startswith('backbone.') for k in state):  # converted WeakTr
            backbone = {k[len('backbone.'):]: v for k, v in state.items()
                        if k.startswith('backbone.')}
            backbone = expand_deit_tokens(backbone, self.num_classes, grid,
                                          source)
            state = dict(state, **{f'backbone.{k}': v
                                   for k, v in backbone.items()})
        else:  # DeiT / timm ImageNet layout: backbone only
            state = {k: v for k, v in state.items()
                     if not k.startswith(DEIT_UNUSED_PREFIXES)}
            state = expand_deit_tokens(state, self.num_classes, grid, source)
            target = self.backbone
        try:
            target.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ValueError(f'{source} does not fit WeakTrCAMNet: {exc}') \
                from exc
        print_log(f'WeakTrCAMNet: loaded {source}', logger='current')

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        # a frozen backbone's outputs are all detached: no autograd needed
        with torch.no_grad() if self.freeze_backbone else nullcontext():
            cls_tokens, patches, (h, w), maps, branches = self.backbone(x)
        b, _, c = patches.shape
        k = self.num_classes
        z = self.head(patches.transpose(1, 2).reshape(b, c, h, w))
        weights = self.aaf(
            per_head_features([br.detach() for br in branches],
                              self.num_heads))
        # (B, N, N): mean of the heads * depth weighted maps, head-major
        fused = fuse_attention_maps([m.detach() for m in maps], weights)
        cross = fused[:, :k, k:].reshape(b, k, h, w)
        coarse = F.relu(z.detach() if self.detach_coarse_cam else z)
        fused_cams = cross * coarse
        patch_affinity = fused[:, k:, k:]  # (B, hw, hw)
        fine = torch.einsum('bij,bkj->bki', patch_affinity,
                            fused_cams.flatten(2)).reshape(b, k, h, w)
        return dict(
            cams=fine if self.patch_refine else fused_cams,
            fine_cams=fine,
            fused_cams=fused_cams,
            cam_logits_z=z,
            cls_logits=cls_tokens.mean(dim=-1))
