"""A faster forward of open_clip's ViT image tower over the same frozen weights.

SemPLeS back-propagates through the frozen CLIP image encoder into the
masked images every step (METHOD section 8: 2P images per step), so the
tower runs under autograd, where open_clip's forward is slow in places:

- the patch embedding, a convolution whose kernel equals its stride: its
  input gradient goes through a generic ``convolution_backward``; here it
  is the same sum written as a reshape + matrix product
  (:func:`patch_embedding`);
- ``nn.MultiheadAttention``: under autograd it transposes, splits heads by
  copies and runs its input projection as a batched product over a weight
  expanded once per token; here it is one ``F.linear``, a head split by
  view and ``F.scaled_dot_product_attention`` (:func:`self_attention`);
- QuickGELU (OpenAI's weights) as one ``silu`` with its scalings folded
  into the MLP's linear layers (:func:`mlp_forward`);
- with class-token pooling only the class token of the last block is
  read, so the last block projects one query and runs its output
  projection and MLP on one token (keys and values still see all tokens).

Everything else (LayerNorms, MLP layers, pooling, projection) calls
open_clip's own modules, so the math is open_clip's; the
results differ only by floating-point rounding. The tower holds no
weights of its own: it reads them from the open_clip module at every call,
so casts, moves and loaded weights apply at once.

Variants it does not implement are refused by :func:`unsupported_reason`
(the caller then keeps open_clip's forward).
"""
import logging
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from open_clip.transformer import (PatchDropout, QuickGELU,
                                   ResidualAttentionBlock, Transformer,
                                   VisionTransformer)
from torch import Tensor, nn


def patch_embedding(images: Tensor, weight: Tensor) -> Tensor:
    """A bias-free convolution with kernel = stride as a matrix product.

    Args:
        images: (N, C, H, W); rows and columns beyond the last whole patch
            are dropped, as the strided convolution drops them.
        weight: (W_out, C, p, q) convolution kernel.

    Returns:
        (N, gh * gw, W_out) patch tokens, row-major over the grid
        (gh = H // p, gw = W // q): the convolution's output flattened and
        transposed.
    """
    n, c, h, w = images.shape
    width, c_w, p, q = weight.shape
    if c != c_w:
        raise ValueError(f'patch_embedding: images have {c} channels, the '
                         f'kernel {tuple(weight.shape)} expects {c_w}')
    gh, gw = h // p, w // q
    x = images[:, :, :gh * p, :gw * q]
    x = x.reshape(n, c, gh, p, gw, q).permute(0, 2, 4, 1, 3, 5)
    return F.linear(x.reshape(n, gh * gw, c * p * q), weight.reshape(width, -1))


def self_attention(attn: nn.MultiheadAttention,
                   x: Tensor,
                   num_queries: Optional[int] = None) -> Tensor:
    """``attn(x, x, x, need_weights=False)[0]`` for batch-first (N, L, E) x.

    One input projection, a head split by view, scaled dot-product
    attention with the default 1 / sqrt(head_dim) scale, the output
    projection. ``num_queries=Q`` returns only the first Q tokens' outputs
    (N, Q, E) and projects queries for those only (keys and values still
    come from all L tokens).
    """
    n, length, dims = x.shape
    heads = attn.num_heads
    weight, bias = attn.in_proj_weight, attn.in_proj_bias
    if num_queries is None:
        num_queries = length
        qkv = F.linear(x, weight, bias).view(n, length, 3, heads,
                                             dims // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    else:
        q_bias, kv_bias = ((None, None) if bias is None else
                           (bias[:dims], bias[dims:]))
        q = F.linear(x[:, :num_queries], weight[:dims], q_bias).view(
            n, num_queries, heads, dims // heads).transpose(1, 2)
        kv = F.linear(x, weight[dims:], kv_bias).view(n, length, 2, heads,
                                                      dims // heads)
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
    out = F.scaled_dot_product_attention(q, k, v)  # (N, heads, Q, E / heads)
    out = out.transpose(1, 2).reshape(n, num_queries, dims)
    return F.linear(out, attn.out_proj.weight, attn.out_proj.bias)


# QuickGELU(h) = h * sigmoid(1.702 h) (open_clip's constant)
QUICK_GELU_SCALE = 1.702


def mlp_forward(mlp: nn.Module, x: Tensor) -> Tensor:
    """``mlp(x)`` of an open_clip block (``c_fc`` -> activation -> ``c_proj``).

    With QuickGELU, h * sigmoid(a h) = silu(a h) / a: the factor a is
    folded into ``c_fc``'s weight and bias and 1 / a into ``c_proj``'s
    weight, so the activation is one fused ``silu`` kernel (forward and
    backward) instead of three elementwise passes. Other activations run
    as they are.
    """
    if type(mlp.gelu) is not QuickGELU:
        return mlp(x)
    a = QUICK_GELU_SCALE
    fc, proj = mlp.c_fc, mlp.c_proj
    h = F.linear(x, fc.weight * a, None if fc.bias is None else fc.bias * a)
    return F.linear(F.silu(h), proj.weight / a, proj.bias)


def _block_reason(index: int, block: nn.Module) -> Optional[str]:
    if type(block) is not ResidualAttentionBlock:
        return (f'block {index} is a {type(block).__name__}, not a plain '
                'ResidualAttentionBlock (custom blocks: qk-norm, scaled '
                'cosine attention, ...)')
    if hasattr(block, 'ln_1_kv'):
        return f'block {index} is a cross-attention block'
    if not all(
            isinstance(norm, nn.LayerNorm) for norm in (block.ln_1,
                                                        block.ln_2)):
        return f'block {index} has a norm that is not a LayerNorm'
    if not (isinstance(block.ls_1, nn.Identity)
            and isinstance(block.ls_2, nn.Identity)):
        return f'block {index} has LayerScale (ls_init_value)'
    attn = block.attn
    if type(attn) is not nn.MultiheadAttention:
        return f'block {index} attention is a {type(attn).__name__}'
    if not (attn.batch_first and attn._qkv_same_embed_dim
            and attn.bias_k is None and attn.bias_v is None
            and not attn.add_zero_attn and attn.dropout == 0.):
        return (f'block {index} attention is not a plain batch-first '
                'self-attention (separate q/k/v weights, bias_k/v, '
                'add_zero_attn or attention dropout)')
    return None


def unsupported_reason(visual: nn.Module) -> Optional[str]:
    """Why :class:`FastCLIPImageTower` cannot replace ``visual``, or None.

    Supported: open_clip's own ``VisionTransformer`` with a bias-free
    patch convolution (kernel = stride, no padding), class token,
    learnable or fixed positional embedding, optional ln_pre and patch
    dropout (eval mode only, checked per call), plain pre-LN blocks with
    batch-first ``nn.MultiheadAttention`` and any MLP activation,
    LayerNorms (open_clip's, fp32 or not), no LayerScale, no attentional
    pooling, ``pool_type`` ``'tok'`` or ``'avg'``, ln_post before or after
    pooling, optional projection.
    """
    if type(visual) is not VisionTransformer:
        return (f'the image tower is a {type(visual).__name__}, not '
                "open_clip's VisionTransformer")
    if visual.attn_pool is not None:
        return 'the image tower uses attentional pooling'
    if visual.pool_type not in ('tok', 'avg'):
        return f'the image tower pools with {visual.pool_type!r}'
    if visual.output_tokens:
        return 'the image tower returns tokens (output_tokens=True)'
    conv = visual.conv1
    if not (type(conv) is nn.Conv2d and conv.bias is None
            and conv.kernel_size == conv.stride
            and conv.padding == (0, 0) and conv.dilation == (1, 1)
            and conv.groups == 1):
        return ('the patch embedding is not a bias-free convolution with '
                'kernel = stride')
    if not (isinstance(visual.ln_pre, (nn.Identity, nn.LayerNorm))
            and isinstance(visual.ln_post, nn.LayerNorm)):
        return 'ln_pre / ln_post is not a LayerNorm'
    if not isinstance(visual.patch_dropout, (nn.Identity, PatchDropout)):
        return (f'patch dropout is a {type(visual.patch_dropout).__name__}')
    transformer = visual.transformer
    if type(transformer) is not Transformer or not transformer.batch_first:
        return 'the transformer is not a batch-first open_clip Transformer'
    for index, block in enumerate(transformer.resblocks):
        reason = _block_reason(index, block)
        if reason:
            return reason
    return None


class FastCLIPImageTower(nn.Module):
    """open_clip's ViT image forward with :func:`patch_embedding` and
    :func:`self_attention`; ``tower(x) == visual(x)`` up to rounding.

    The open_clip module is kept outside the module tree (no parameters,
    no state dict of its own). A call falls back to ``visual(x)`` while
    the tower would behave differently from eval: patch dropout in train
    mode, or gradient checkpointing switched on.

    Args:
        visual: ``clip.visual`` of an open_clip ``CLIP``; a variant that
            :func:`unsupported_reason` refuses raises ``ValueError`` with
            that reason.
    """

    def __init__(self, visual: nn.Module) -> None:
        super().__init__()
        reason = unsupported_reason(visual)
        if reason:
            raise ValueError(f'FastCLIPImageTower: {reason}')
        object.__setattr__(self, 'visual', visual)  # not a registered child

    def _falls_back(self) -> bool:
        visual = self.visual
        dropout = visual.patch_dropout
        return (visual.transformer.grad_checkpointing
                or (isinstance(dropout, PatchDropout) and dropout.training
                    and dropout.prob > 0))

    def forward(self, images: Tensor) -> Tensor:
        """(N, 3, S, S) images in CLIP's input space -> (N, D) features
        (not normalised), as ``visual(images)``."""
        visual = self.visual
        if self._falls_back():
            return visual(images)
        x = patch_embedding(images, visual.conv1.weight)
        cls = visual.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + visual.positional_embedding.to(
            x.dtype)
        x = visual.patch_dropout(x)
        x = visual.ln_pre(x)
        blocks = visual.transformer.resblocks
        # 'tok' pooling reads only the class token of the last block, and
        # every later step (LayerNorm, MLP, ln_post) is per token: the last
        # block computes the class token's query and output only.
        last_queries = 1 if visual.pool_type == 'tok' else None
        for index, block in enumerate(blocks):
            if index == len(blocks) - 1 and last_queries:
                x = x[:, :last_queries] + self_attention(
                    block.attn, block.ln_1(x), last_queries)
            else:
                x = x + self_attention(block.attn, block.ln_1(x))
            x = x + mlp_forward(block.mlp, block.ln_2(x))
        if visual.final_ln_after_pool:
            pooled = visual.ln_post(self._global_pool(x))
        else:
            pooled = self._global_pool(visual.ln_post(x))
        if visual.proj is not None:
            pooled = pooled @ visual.proj
        return pooled

    def _global_pool(self, x: Tensor) -> Tensor:
        if self.visual.pool_type == 'avg':
            return x[:, 1:].mean(dim=1)
        return x[:, 0]


def fast_or_open_clip_tower(visual: nn.Module) -> nn.Module:
    """A :class:`FastCLIPImageTower` over ``visual`` where supported, else
    ``visual`` itself, with a warning that names what is not supported."""
    reason = unsupported_reason(visual)
    if reason:
        print_log(
            f'fast CLIP image tower not used ({reason}): open_clip\'s own '
            'forward runs', logger='current', level=logging.WARNING)
        return visual
    return FastCLIPImageTower(visual)
