"""WeakTr's adaptive attention fusion (METHOD section 1)."""
from typing import List

import torch
from torch import Tensor, nn


def per_head_features(branches: List[Tensor], num_heads: int) -> Tensor:
    """Split attention-branch outputs into per-(head, layer) features.

    The C channels are split *interleaved*: head h owns channels
    h, h + heads, h + 2 * heads, ... Maps are ordered head-major
    (index = head * depth + layer).

    Args:
        branches: depth tensors (B, N, C).

    Returns:
        (B, heads * depth, N, C / heads).
    """
    x = torch.stack(branches, dim=1)  # (B, depth, N, C)
    b, depth, n, c = x.shape
    x = x.view(b, depth, n, c // num_heads, num_heads)
    return x.permute(0, 4, 1, 2, 3).reshape(b, num_heads * depth, n,
                                            c // num_heads)


def fuse_attention_maps(maps: List[Tensor], weights: Tensor) -> Tensor:
    """A = mean over the heads * depth maps of weight * map (METHOD section 1).

    The same value as ``(torch.stack(maps, 2).flatten(1, 2) * weights[...,
    None, None]).mean(1)``, computed as one weighted sum per block
    (a batched (1, heads) x (heads, N * N) product accumulated over the
    blocks), so no (B, heads * depth, N, N) stack or weighted copy of it
    is ever made, in the forward or the backward.

    Args:
        maps: depth attention maps (B, heads, N, N).
        weights: (B, heads * depth) in the head-major order of
            :func:`per_head_features` (index = head * depth + layer).

    Returns:
        (B, N, N) fused attention, in the promoted dtype of maps and weights
        (under autocast too).
    """
    depth = len(maps)
    b, heads, n, _ = maps[0].shape
    if weights.shape != (b, heads * depth):
        raise ValueError(f'fuse_attention_maps: weights {tuple(weights.shape)} '
                         f'do not fit {depth} maps of {heads} heads '
                         f'(expected {(b, heads * depth)})')
    # the dtype the stacked product would promote to (fp32 weights times
    # fp16 maps under autocast: fp32), never a half-precision accumulator
    dtype = torch.promote_types(maps[0].dtype, weights.dtype)
    per_layer = weights.to(dtype).view(b, heads, depth).transpose(1, 2)
    fused = None
    with torch.autocast(weights.device.type, enabled=False):
        for layer, attn in enumerate(maps):
            w = per_layer[:, layer].unsqueeze(1)  # (B, 1, heads)
            flat = attn.to(dtype).reshape(b, heads, n * n)
            fused = (torch.bmm(w, flat)
                     if fused is None else torch.baddbmm(fused, w, flat))
    return (fused / (heads * depth)).view(b, n, n)


class AdaptiveAttentionFusion(nn.Module):
    """One sigmoid weight per attention map and image.

    Pool each map's per-head feature over tokens (max for VOC, mean for
    COCO), Linear(C/heads, 8) -> Linear(8, 1) (no activation between), then
    over the heads*depth values Linear(n, n/r, no bias) -> ReLU ->
    Linear(n/r, n, no bias) -> sigmoid.

    Parameter names follow WeakTr (``attn_feat_ffn``, ``attn_head_ffn``).

    Args:
        num_maps: heads * depth (72 for DeiT-S).
        feat_dims: C / heads (64 for DeiT-S).
        reduction: r (VOC 8, COCO 4).
        pool: ``'max'`` or ``'mean'``.
    """

    def __init__(self,
                 *,
                 num_maps: int,
                 feat_dims: int,
                 reduction: int = 8,
                 feat_reduction: int = 8,
                 pool: str = 'max') -> None:
        super().__init__()
        if pool not in ('max', 'mean'):
            raise ValueError(f"pool must be 'max' or 'mean', got {pool!r}")
        for name, width, r in (('num_maps', num_maps, reduction),
                               ('feat_dims', feat_dims, feat_reduction)):
            if width // r < 1:
                raise ValueError(f'AdaptiveAttentionFusion: {name} {width} // '
                                 f'reduction {r} leaves no hidden unit')
        self.pool = pool
        self.attn_feat_ffn = nn.Sequential(
            nn.Linear(feat_dims, feat_dims // feat_reduction),
            nn.Linear(feat_dims // feat_reduction, 1))
        self.attn_head_ffn = nn.Sequential(
            nn.Linear(num_maps, num_maps // reduction, bias=False),
            nn.ReLU(),
            nn.Linear(num_maps // reduction, num_maps, bias=False),
            nn.Sigmoid())

    def forward(self, features: Tensor) -> Tensor:
        """(B, maps, N, C/heads) features -> (B, maps) weights in (0, 1)."""
        pooled = (features.amax(dim=2)
                  if self.pool == 'max' else features.mean(dim=2))
        scores = self.attn_feat_ffn(pooled).squeeze(-1)  # (B, maps)
        return self.attn_head_ffn(scores)
