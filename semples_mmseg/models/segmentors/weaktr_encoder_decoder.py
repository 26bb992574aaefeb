"""EncoderDecoder that tests each view as WeakTr's online retraining."""
from typing import List

import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList


def window_anchors(size: int, window: int, stride: int) -> List[int]:
    """Starts of the sliding windows along one side: 0, stride, ... below
    ``size - window``, then ``size - window`` (one window if it fits)."""
    if size <= window:
        return [0]
    return list(range(0, size - window, stride)) + [size - window]


def raise_short_side(inputs: Tensor, min_side: int) -> Tensor:
    """(B, C, H, W) bilinearly enlarged so that its shorter side is
    ``min_side`` (the other side in proportion, truncated); unchanged when
    it is at least that large."""
    h, w = inputs.shape[-2:]
    if min(h, w) >= min_side:
        return inputs
    size = (min_side, int(w / h * min_side)) if h < w else (
        int(h / w * min_side), min_side)
    return F.interpolate(inputs, size, mode='bilinear', align_corners=False)


@MODELS.register_module()
class WeakTrEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` with WeakTr's test protocol for one view.

    * ``test_cfg.mode='slide'``: a view whose short side is below the
      window's is enlarged to it first (bilinear, on the normalised input),
      then windows at :func:`window_anchors` and the mean of the
      overlapping logits;
    * a decode head with a ``fusion_weight`` (``FusedSegmenterMaskHead``)
      gives final and intermediate masks; once merged and at the image's
      size they are fused into probabilities (the head's ``fuse``).
      ``seg_logits`` then holds their log (softmax gives the fused map
      normalised) and ``pred_sem_seg`` their argmax.

    At build, a decode loss with ``check_crop_size``
    (``GradientClippingLoss``) is checked against the data preprocessor's
    crop ``size``. Arguments are ``EncoderDecoder``'s.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        crop = getattr(self.data_preprocessor, 'size', None)
        losses = self.decode_head.loss_decode
        for loss in losses if hasattr(losses, '__iter__') else [losses]:
            if crop is not None and hasattr(loss, 'check_crop_size'):
                loss.check_crop_size(crop)

    @property
    def fuses(self) -> bool:
        """Whether predictions fuse the head's intermediate masks."""
        return bool(getattr(self.decode_head, 'fusion_weight', 0))

    @property
    def fusion_mass(self) -> float:
        """Per-pixel sum of the fused probabilities (1 without fusion)."""
        return 1.0 + (self.decode_head.fusion_weight if self.fuses else 0.0)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """(B, K, H, W) logits; (B, 2K, H, W) final + intermediate when
        fusing."""
        x = self.extract_feat(inputs)
        if self.fuses:
            return self.decode_head.predict_with_intermediate(
                x, batch_img_metas)
        return self.decode_head.predict(x, batch_img_metas, self.test_cfg)

    def slide_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Logits of the (short-side raised) view, windows averaged."""
        h_crop, w_crop = self.test_cfg.crop_size
        h_stride, w_stride = self.test_cfg.stride
        inputs = raise_short_side(inputs, min(h_crop, w_crop))
        h, w = inputs.shape[-2:]
        logits, count = None, inputs.new_zeros((1, 1, h, w))
        for y in window_anchors(h, h_crop, h_stride):
            for x in window_anchors(w, w_crop, w_stride):
                crop = inputs[:, :, y:y + h_crop, x:x + w_crop]
                batch_img_metas[0]['img_shape'] = crop.shape[2:]
                out = self.encode_decode(crop, batch_img_metas)
                if logits is None:
                    logits = inputs.new_zeros(out.shape[:2] + (h, w))
                window = (slice(None), slice(None),
                          slice(y, y + crop.shape[2]),
                          slice(x, x + crop.shape[3]))
                logits[window] += out
                count[window] += 1
        return logits / count

    def postprocess_result(self,
                           seg_logits: Tensor,
                           data_samples: OptSampleList = None) -> SampleList:
        samples = super().postprocess_result(seg_logits, data_samples)
        if not self.fuses:
            return samples
        for sample in samples:
            probs = self.decode_head.fuse(sample.seg_logits.data)
            sample.set_data(
                dict(seg_logits=PixelData(data=probs.log()),
                     pred_sem_seg=PixelData(
                         data=probs.argmax(0, keepdim=True))))
        return samples
