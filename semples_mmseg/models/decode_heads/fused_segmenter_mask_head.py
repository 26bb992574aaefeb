"""mmseg's Segmenter mask-transformer head with WeakTr's test-time fusion."""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.models.decode_heads import SegmenterMaskTransformerHead
from mmseg.registry import MODELS


@MODELS.register_module()
class FusedSegmenterMaskHead(SegmenterMaskTransformerHead):
    """``SegmenterMaskTransformerHead`` that also gives the masks of the
    decoder state before its last layer (WeakTr's ``MultiMaskTransformer``,
    which its reported evaluation uses).

    Training and :meth:`predict` are the stock head's.
    :meth:`predict_with_intermediate` returns both mask sets (one
    ``decoder_norm``, projections and ``mask_norm``); ``WeakTrEncoderDecoder``
    fuses the two per view, once
    the windows are merged and the map has the image's size (:meth:`fuse`):
    ``softmax(final) + fusion_weight * softmax(intermediate)``, summing to
    ``1 + fusion_weight`` per pixel. The intermediate masks are never
    trained on their own. Other segmentors get the stock predictions.

    Args:
        fusion_weight: weight of the intermediate masks (WeakTr: 0.8);
            0: no fusion.
        **kwargs: ``SegmenterMaskTransformerHead``'s arguments.
    """

    def __init__(self, *, fusion_weight: float = 0.8, **kwargs) -> None:
        super().__init__(**kwargs)
        if fusion_weight < 0:
            raise ValueError(
                f'fusion_weight must be >= 0, got {fusion_weight}')
        if fusion_weight and len(self.layers) < 2:
            raise ValueError('fusion_weight needs num_layers >= 2, got '
                             f'{len(self.layers)}')
        self.fusion_weight = fusion_weight

    def forward(self, inputs: Tuple[Tensor]) -> Tensor:
        """Features -> (B, K, h, w) masks (the stock head's computation)."""
        return self.decode(inputs, with_intermediate=False)[-1]

    def decode(self, inputs: Tuple[Tensor], *,
               with_intermediate: bool) -> List[Tensor]:
        """(B, K, h, w) masks after the last layer, preceded (with
        ``with_intermediate``) by those of the state before it."""
        x = self._transform_inputs(inputs)
        b, c, h, w = x.shape
        x = self.dec_proj(x.permute(0, 2, 3, 1).reshape(b, h * w, c))
        x = torch.cat((x, self.cls_emb.expand(b, -1, -1)), 1)
        for layer in self.layers[:-1]:
            x = layer(x)
        states = [x] if with_intermediate else []
        states.append(self.layers[-1](x))
        return [self._masks(state, h, w) for state in states]

    def _masks(self, x: Tensor, h: int, w: int) -> Tensor:
        """Decoder tokens (B, h*w + K, C) -> (B, K, h, w) masks."""
        x = self.decoder_norm(x)
        patches = F.normalize(
            self.patch_proj(x[:, :-self.num_classes]), dim=2, p=2)
        classes = F.normalize(
            self.classes_proj(x[:, -self.num_classes:]), dim=2, p=2)
        masks = self.mask_norm(patches @ classes.transpose(1, 2))
        return masks.permute(0, 2, 1).reshape(x.shape[0], -1, h, w)

    def predict_with_intermediate(self, inputs: Tuple[Tensor],
                                  batch_img_metas: List[dict]) -> Tensor:
        """(B, 2K, H, W): final, then intermediate logits at the input's
        size (``predict`` gives the final ones only)."""
        intermediate, final = self.decode(inputs, with_intermediate=True)
        return self.predict_by_feat(
            torch.cat([final, intermediate], 1), batch_img_metas)

    def fuse(self, seg_logits: Tensor) -> Tensor:
        """(..., 2K, H, W) final + intermediate logits -> (..., K, H, W)
        fused probabilities, summing to 1 + fusion_weight."""
        final, intermediate = seg_logits.chunk(2, dim=-3)
        return final.softmax(-3) + self.fusion_weight * intermediate.softmax(
            -3)
