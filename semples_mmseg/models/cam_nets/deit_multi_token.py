"""DeiT with K class tokens that exposes every block's attention.

Parameter names follow timm / DeiT checkpoints (``patch_embed.proj``,
``blocks.{i}.norm1``, ``attn.qkv``, ``attn.proj``, ``norm2``, ``mlp.fc1``,
``mlp.fc2``) so ImageNet and WeakTr weights load by name.
"""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn


class ExposedAttention(nn.Module):
    """Multi-head self-attention returning its softmax maps.

    Returns the attention-branch output after the output projection
    (B, N, C) and the attention maps (B, heads, N, N).
    """

    def __init__(self, *, dims: int, num_heads: int, qkv_bias: bool) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dims // num_heads)**-0.5
        self.qkv = nn.Linear(dims, dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads,
                                  c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out), attn


class Mlp(nn.Module):

    def __init__(self, *, dims: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dims, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dims)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class ExposedBlock(nn.Module):
    """Pre-norm transformer block; returns (x, attention maps, branch output)."""

    def __init__(self, *, dims: int, num_heads: int, mlp_ratio: float,
                 qkv_bias: bool, drop_path: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dims, eps=1e-6)
        self.attn = ExposedAttention(
            dims=dims, num_heads=num_heads, qkv_bias=qkv_bias)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dims, eps=1e-6)
        self.mlp = Mlp(dims=dims, hidden=int(dims * mlp_ratio))

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        branch, attn = self.attn(self.norm1(x))
        x = x + self.drop_path(branch)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x, attn, branch


class PatchEmbed(nn.Module):

    def __init__(self, *, patch_size: int, dims: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dims, patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class MultiTokenDeiT(nn.Module):
    """DeiT backbone with ``num_tokens`` class tokens (WeakTr: one per class).

    The final LayerNorm of DeiT is not applied (WeakTr does not use it).
    Drop-path rates grow linearly over the blocks up to ``drop_path_rate``.

    Args:
        num_tokens: K class tokens.
        img_size: training input size; sets the positional-embedding grid.
    """

    def __init__(self,
                 *,
                 num_tokens: int,
                 img_size: int = 224,
                 patch_size: int = 16,
                 embed_dims: int = 384,
                 depth: int = 12,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.1) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_tokens = num_tokens
        self.patch_size = patch_size
        self.grid = img_size // patch_size
        self.patch_embed = PatchEmbed(patch_size=patch_size, dims=embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, num_tokens, embed_dims))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_tokens + self.grid**2, embed_dims))
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.blocks = nn.ModuleList(
            ExposedBlock(
                dims=embed_dims,
                num_heads=num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop_path=rate) for rate in rates)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        nn.init.trunc_normal_(self.pos_embed, std=.02)

    def patch_pos_embed(self, h: int, w: int) -> Tensor:
        """(1, h*w, C) patch positional embedding for an h x w patch grid.

        The stored grid is used as is when it fits; otherwise it is resized
        bicubically as WeakTr (and DINO) do at inference: with scale factors
        ``(h + 0.1) / side`` and ``(w + 0.1) / side`` (the 0.1 keeps the
        floored output size exact), which samples slightly differently from
        ``size=(h, w)``.
        """
        pos = self.pos_embed[:, self.num_tokens:]
        if (h, w) == (self.grid, self.grid):
            return pos
        c = pos.shape[-1]
        side = self.grid
        grid = pos.reshape(1, side, side, c).permute(0, 3, 1, 2)
        grid = F.interpolate(
            grid,
            scale_factor=((h + 0.1) / side, (w + 0.1) / side),
            mode='bicubic',
            align_corners=False)
        if grid.shape[-2:] != (h, w):  # cannot happen for h, w >= 1
            raise RuntimeError(f'positional embedding resized to '
                               f'{tuple(grid.shape[-2:])}, expected {(h, w)}')
        return grid.permute(0, 2, 3, 1).reshape(1, h * w, c)

    def forward(
        self, x: Tensor
    ) -> Tuple[Tensor, Tensor, Tuple[int, int], List[Tensor], List[Tensor]]:
        """Run all blocks.

        Args:
            x: (B, 3, H, W). Sizes that are not multiples of the patch are
                floored, as in WeakTr: the stride-p patch convolution drops
                the last H % p rows and W % p columns (h = H // p,
                w = W // p); WeakTr's CAM inference then upsamples the
                h x w maps to the full image size.

        Returns:
            class tokens (B, K, C), patch tokens (B, h*w, C), (h, w),
            attention maps [(B, heads, N, N)] and attention-branch outputs
            [(B, N, C)] per block, N = K + h*w.
        """
        if min(x.shape[-2:]) < self.patch_size:
            raise ValueError(f'input {tuple(x.shape[-2:])} is smaller than '
                             f'one {self.patch_size}x{self.patch_size} patch')
        patches = self.patch_embed(x)
        h, w = patches.shape[-2:]
        tokens = patches.flatten(2).transpose(1, 2)
        b = tokens.shape[0]
        pos = torch.cat(
            [self.pos_embed[:, :self.num_tokens],
             self.patch_pos_embed(h, w)], dim=1)
        x = torch.cat([self.cls_token.expand(b, -1, -1), tokens], dim=1) + pos
        maps, branches = [], []
        for block in self.blocks:
            x, attn, branch = block(x)
            maps.append(attn)
            branches.append(branch)
        k = self.num_tokens
        return x[:, :k], x[:, k:], (h, w), maps, branches
