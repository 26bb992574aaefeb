"""The baseline CAM objective CLIMS starts from: image-level classification."""
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class CAMClassificationLoss(NamedLoss):
    """Multilabel soft margin of the pooled classifier scores.

    IRNet's ``train_cam`` (CLIMS ``step/train_cam.py``, the network
    ``net/resnet50_cam.py``): the classifier on globally pooled features,
    ``multilabel_soft_margin_loss`` against the image labels (mean over
    classes and images). CLIMS's CAM training starts from this network
    (``res50_cam.pth``). With ``CLIMSResNet50CAM`` the pooled scores are
    ``cls_logits`` (B, K): a 1x1 classifier without bias commutes with the
    global average.

    Args:
        loss_weight: multiplies the term.
    """

    def __init__(self,
                 *,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cam_cls') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)

    def terms(self, cam_output: Dict[str, Tensor],
              labels: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``cls``; cam_output['cls_logits'] (B, K), labels
        (B, K) multi-hot."""
        if 'cls_logits' not in cam_output:
            raise KeyError('CAMClassificationLoss needs the CAM output key '
                           f"'cls_logits', got keys {sorted(cam_output)}")
        scores = cam_output['cls_logits']
        if scores.shape != labels.shape:
            raise ValueError(f'labels {tuple(labels.shape)} do not match '
                             f'cls_logits {tuple(scores.shape)} (B, K)')
        # in at least fp32: fp16 / bf16 scores under autocast
        scores = scores.to(torch.promote_types(scores.dtype, torch.float32))
        return dict(
            cls=F.multilabel_soft_margin_loss(scores, labels.to(scores)))

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        return self.loss_weight * terms['cls']

    def forward(self, cam_output: Dict[str, Tensor], labels: Tensor) -> Tensor:
        return self.weighted(self.terms(cam_output, labels))
