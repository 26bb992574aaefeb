"""Test-time augmentation with a probability dense CRF on the merged map."""
from typing import List, Optional

import numpy as np
import torch
from mmengine.structures import PixelData
from PIL import Image

from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList
from ...pseudo_masks.dense_crf import crf_params, crf_refine_probs


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """``SegTTAModel`` followed by WeakTr's evaluation CRF.

    Per image: ``P`` = the mean over the views of ``softmax(seg_logits)``,
    times the module's ``fusion_mass`` (1 + the head's fusion weight for
    ``WeakTrEncoderDecoder``, else 1): WeakTr's CRF sees the fused map
    unnormalised. The classes of ``P``'s argmax keep their probabilities,
    the dense CRF (``crf_params`` preset, probability unary) refines them
    with the RGB image of ``img_path``, and the argmax of its marginals is
    the prediction (WeakTr ``segm/eval/make_crf.py``).

    Args:
        module: the segmentor.
        crf_preset: a ``dense_crf.CRF_PRESETS`` name (``weaktr_voc_final``,
            ``weaktr_coco_final``), or None for no CRF.
    """

    def __init__(self,
                 *,
                 module,
                 crf_preset: Optional[str] = 'weaktr_voc_final',
                 data_preprocessor=None) -> None:
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        if crf_preset is not None:
            crf_params(crf_preset)  # an unknown name fails at build
        self.crf_preset = crf_preset

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Each image's views -> one ``pred_sem_seg`` (1, H, W)."""
        mass = getattr(self.module, 'fusion_mass', 1.0)
        merged = []
        for views in data_samples_list:
            probs = sum(v.seg_logits.data.softmax(0) for v in views)
            probs = probs * (mass / len(views))
            pred = probs.argmax(0)
            if self.crf_preset is not None:
                pred = self.refine(probs, pred, views[0].img_path)
            sample = SegDataSample(metainfo=views[0].metainfo)
            sample.pred_sem_seg = PixelData(data=pred[None])
            if 'gt_sem_seg' in views[0]:
                sample.gt_sem_seg = views[0].gt_sem_seg
            merged.append(sample)
        return merged

    def refine(self, probs: torch.Tensor, pred: torch.Tensor,
               img_path: str) -> torch.Tensor:
        """(K, H, W) probabilities and their (H, W) argmax -> the CRF's
        (H, W) labels, over the classes of the argmax."""
        keys = torch.unique(pred)
        if keys.numel() == 1:
            return pred
        image = np.asarray(Image.open(img_path).convert('RGB'))
        if image.shape[:2] != tuple(pred.shape):
            raise ValueError(f'{img_path} is {image.shape[:2]}, its '
                             f'prediction {tuple(pred.shape)} (H, W)')
        labels = crf_refine_probs(image, probs[keys].float().cpu().numpy(),
                                  preset=self.crf_preset)
        return keys[torch.from_numpy(labels).to(keys.device)]
