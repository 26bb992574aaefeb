"""``tools/test.py --tta``: the segmentor's prediction refined by a dense CRF.

DeepLab-V2's test protocol (CLIMS: ``segmentation/deeplabv2/main.py crf``)
takes the softmax of the logits at the image size and refines it with a
fully connected CRF whose bilateral term looks at an image. Which image is
the switch ``crf_image``:

* ``'mean_subtracted_bgr'`` (default): what the reference fed it, the
  network's input (BGR minus the mean) cast to uint8, so negative values
  wrap around (-3.7 -> 253). The published DeepLab-V2 numbers were made so,
  and the configs exist to reach them.
* ``'rgb'``: the RGB image as loaded, what a dense CRF is meant to compare.

The config's ``tta_pipeline`` is its test pipeline: one view per image, the
image loaded by mmcv (BGR uint8) at the size of the prediction.
"""
from typing import List

import numpy as np
import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import SampleList
from ...pseudo_masks import dense_crf

CRF_IMAGES = ('mean_subtracted_bgr', 'rgb')


def wrap_to_uint8(image: Tensor) -> np.ndarray:
    """(3, H, W) float -> (H, W, 3) uint8, as numpy's ``astype(np.uint8)``
    casts on x86: truncated toward zero, then modulo 256."""
    wrapped = torch.trunc(image.float()).long().remainder(256)
    return wrapped.to(torch.uint8).permute(1, 2, 0).cpu().numpy()


@MODELS.register_module()
class DenseCRFTTAModel(BaseTTAModel):
    """Runs the wrapped segmentor, then the probability CRF on each image.

    Args:
        module: the segmentor (config or module), e.g.
            ``MultiScaleMaxEncoderDecoder``.
        crf_preset: the parameter set of ``crf_refine_probs`` in
            ``semples_mmseg/pseudo_masks/dense_crf.py``; DeepLab-V2's is
            Gaussian (sxy 1, compat 3) + bilateral (sxy 67, srgb 3, compat
            4), 10 iterations.
        crf_image: ``'mean_subtracted_bgr'`` or ``'rgb'`` (module docstring).

    ``pred_sem_seg`` becomes the CRF's labels; ``seg_logits`` stay the
    segmentor's.
    """

    def __init__(self,
                 *,
                 module,
                 crf_preset: str = 'deeplabv2',
                 crf_image: str = 'mean_subtracted_bgr',
                 data_preprocessor=None) -> None:
        if crf_image not in CRF_IMAGES:
            raise ValueError(f'crf_image must be one of {CRF_IMAGES}, got '
                             f'{crf_image!r}')
        if not hasattr(dense_crf, 'crf_refine_probs'):
            raise ImportError('semples_mmseg.pseudo_masks.dense_crf has no '
                              'crf_refine_probs (the probability CRF)')
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.crf_preset = crf_preset
        self.crf_image = crf_image

    def test_step(self, data: dict) -> SampleList:
        """One batch of one view per image -> CRF-refined predictions."""
        if isinstance(data['inputs'][0], (list, tuple)):
            raise ValueError(
                f'DenseCRFTTAModel takes one view per image (tta_pipeline = '
                f'the test pipeline), got {len(data["inputs"][0])} views')
        batch = self.module.data_preprocessor(data, False)
        samples = self.module(**batch, mode='predict')
        for raw, net_input, sample in zip(data['inputs'], batch['inputs'],
                                          samples):
            self._refine(raw, net_input, sample)
        return samples

    def _refine(self, raw: Tensor, net_input: Tensor, sample) -> None:
        """raw (3, H, W) uint8 BGR, net_input (3, H', W') >= (H, W)."""
        logits = sample.seg_logits.data  # (C, H, W) at the image size
        height, width = raw.shape[1:]
        if tuple(logits.shape[1:]) != (height, width):
            raise ValueError(
                f'{sample.metainfo.get("img_path")}: the CRF needs the image '
                f'at the prediction size {tuple(logits.shape[1:])}, the '
                f'pipeline gave {(height, width)} (no Resize in tta_pipeline)')
        if self.crf_image == 'rgb':
            image = raw.flip(0).permute(1, 2, 0).cpu().numpy()
        else:
            image = wrap_to_uint8(net_input[:, :height, :width])
        probs = logits.detach().float().softmax(dim=0).cpu().numpy()
        labels = dense_crf.crf_refine_probs(
            np.ascontiguousarray(image), probs, preset=self.crf_preset)
        sample.pred_sem_seg = PixelData(
            data=torch.as_tensor(labels, dtype=torch.long,
                                 device=logits.device)[None])

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Each image has one prediction."""
        return [samples[0] for samples in data_samples_list]
