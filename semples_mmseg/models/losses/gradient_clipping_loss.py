"""Cross-entropy with WeakTr's gradient clipping (the GCD loss)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce

from mmseg.registry import MODELS
from .named_loss import NamedLoss


@MODELS.register_module()
class GradientClippingLoss(NamedLoss):
    """Per-pixel CE whose largest values give no gradient (WeakTr's GCD).

    With ``l`` the per-pixel CE (B, H, W) (ignored pixels 0) and ``m`` its
    mean over all B*H*W pixels, both statistics detached:

    * ``m > start_value``: plain CE, ``mean(l)`` (checked at every step);
    * otherwise each pixel's loss is ``min(l, t)`` with
      ``t = max(window mean, m)``, the window mean being ``l`` averaged over
      the batch and over the pixel's ``window_size`` x ``window_size``
      window: above ``t`` a pixel adds the constant ``t`` and no gradient.

    The loss is ``loss_weight`` times the mean over all pixels, ignored ones
    counted as 0 (WeakTr, ``OnlineRetraining/segm/model/decoder.py``).
    ``window_size`` must divide the map's height and width.
    ``sync_statistics``: ``m`` and the batch-mean map over every process
    (the reference uses each process's own batch).

    After each call ``last_mean`` (``m``) and ``last_gate_open``
    (``m <= start_value``) hold the step's statistics as detached 0-dim
    tensors on the input's device (no host sync), e.g. for a hook that
    counts the steps with clipping on.

    Args:
        start_value: the mean CE at or below which clipping is on.
        window_size: side of the square windows, in pixels.
        loss_weight: factor of the loss.
        sync_statistics: all-reduce the statistics under DDP.
        loss_name: the key of the loss in the loss dict.
    """

    def __init__(self,
                 *,
                 start_value: float = 1.2,
                 window_size: int = 120,
                 loss_weight: float = 1.0,
                 sync_statistics: bool = False,
                 loss_name: str = 'loss_gcd') -> None:
        super().__init__(loss_weight=loss_weight, loss_name=loss_name)
        if window_size < 1:
            raise ValueError(f'window_size must be >= 1, got {window_size}')
        self.start_value = start_value
        self.window_size = window_size
        self.sync_statistics = sync_statistics
        self.last_mean: Optional[torch.Tensor] = None
        self.last_gate_open: Optional[torch.Tensor] = None

    def check_crop_size(self, crop_size: Sequence[int]) -> None:
        """Refuse a (H, W) crop that the windows do not tile."""
        if any(side % self.window_size for side in crop_size):
            raise ValueError(
                f'GradientClippingLoss: window_size {self.window_size} does '
                f'not divide the crop {tuple(crop_size)}')

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> torch.Tensor:
        """(B, K, H, W) logits and (B, H, W) labels -> the scalar loss."""
        self.check_crop_size(label.shape[-2:])
        pixel_loss = F.cross_entropy(
            cls_score, label, ignore_index=ignore_index, reduction='none')
        if weight is not None:
            pixel_loss = pixel_loss * weight
        with torch.no_grad():
            cap, gate = self._caps(pixel_loss)
            self.last_gate_open = gate
            keep = (pixel_loss <= cap) | ~gate  # WeakTr: clamp(l - t, max=0)
        return self.loss_weight * torch.where(keep, pixel_loss, cap).mean()

    def _caps(self, pixel_loss: torch.Tensor):
        """(H, W) caps max(window mean, m) and the gate ``m <= start``."""
        batch_sum = pixel_loss.sum(0)
        batch_size = pixel_loss.new_tensor(float(pixel_loss.shape[0]))
        if self.sync_statistics:
            all_reduce(batch_sum, op='sum')
            all_reduce(batch_size, op='sum')
        batch_mean = batch_sum / batch_size
        mean = batch_mean.mean()
        self.last_mean = mean
        p = self.window_size
        window_mean = F.avg_pool2d(batch_mean[None, None], p)[0, 0]
        cap = torch.maximum(window_mean, mean)
        cap = cap.repeat_interleave(p, 0).repeat_interleave(p, 1)
        return cap, mean <= self.start_value
