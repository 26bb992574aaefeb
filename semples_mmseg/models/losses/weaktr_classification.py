"""WeakTr's own objective: three multilabel soft-margin losses."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss

# term name -> the WeakTrCAMNet output it scores
SCORED_OUTPUTS = dict(
    cls_token='cls_logits', coarse='cam_logits_z', fine='fine_cams')


@MODELS.register_module()
class WeakTrClassificationLoss(NamedLoss):
    """Sum of multilabel soft-margin losses on three (B, K) score vectors.

    As WeakTr's training step: the class-token scores ``cls_logits`` (B, K),
    the global average of the CAM head's Z ``cam_logits_z`` (B, K, h, w) and
    the global average of the fine CAM ``fine_cams`` (B, K, h, w), each
    against the (B, K) image labels with ``multilabel_soft_margin_loss``
    (mean over classes and images), summed with weight 1 each; the sum is
    then multiplied by ``loss_weight``.
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_weaktr_cls') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, cam_output: Dict[str, Tensor],
              labels: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``cls_token``, ``coarse`` and ``fine`` terms."""
        missing = [k for k in SCORED_OUTPUTS.values() if k not in cam_output]
        if missing:
            raise KeyError(f'WeakTrClassificationLoss needs CAM outputs '
                           f'{missing} (has {sorted(cam_output)}): use it '
                           'with WeakTrCAMNet')
        scores = {}
        for name, key in SCORED_OUTPUTS.items():
            value = cam_output[key]
            scores[name] = value if value.dim() == 2 else value.mean(
                dim=(2, 3))
            if scores[name].shape != labels.shape:
                raise ValueError(f'WeakTrClassificationLoss: {key} gives '
                                 f'scores {tuple(scores[name].shape)}, labels '
                                 f'are {tuple(labels.shape)}')
        # in at least fp32: fp16 / bf16 scores under autocast
        scores = {name: s.to(torch.promote_types(s.dtype, torch.float32))
                  for name, s in scores.items()}
        return {
            name: F.multilabel_soft_margin_loss(s, labels.to(s.dtype))
            for name, s in scores.items()
        }

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * sum(terms[name] for name in SCORED_OUTPUTS)

    def forward(self, cam_output: Dict[str, Tensor], labels: Tensor) -> Tensor:
        return self.weighted(self.terms(cam_output, labels))
