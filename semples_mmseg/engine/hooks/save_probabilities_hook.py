"""Class probabilities of every test image, for a later ensemble."""
import os
from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...apis.probability_ensemble import (probability_path,
                                          save_probabilities)


@HOOKS.register_module()
class SaveProbabilitiesHook(Hook):
    """Writes ``{out_dir}/{image id}.npz`` after each test iteration.

    ``prob`` is the softmax over classes of the sample's ``seg_logits``
    (image size, float16), kept for the classes its prediction contains
    (``present_only``, as FMA-WSSS's test hook keeps them: a few MB per
    image instead of C planes); ``classes`` names each channel.
    ``tools/analysis_tools/ensemble_probs.py`` fuses two such folders.

    Args:
        out_dir: where the files go (created).
        present_only: keep only the predicted classes' channels.
    """

    priority = 'LOW'

    def __init__(self, *, out_dir: str, present_only: bool = True) -> None:
        self.out_dir = out_dir
        self.present_only = present_only

    def before_test(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)

    def after_test_iter(self, runner, batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or ():
            prob = sample.seg_logits.data.float().softmax(0)
            if self.present_only:
                classes = sample.pred_sem_seg.data[0].unique()
                prob = prob[classes]
            else:
                classes = range(len(prob))
            save_probabilities(
                prob.cpu().numpy(), [int(c) for c in classes],
                probability_path(self.out_dir, sample.metainfo['img_path']))
