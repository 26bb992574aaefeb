"""Label-free validation: the active training loss on held-out images
(``docs/SELECTION.md``).

Each batch goes through the data preprocessor (test mode) and the
segmentor's own ``loss()`` under ``torch.no_grad()`` in eval mode, so the
numbers are the current stage's objective: ``match`` in stage 1, ``match`` +
``refine`` in stage 3, the classification loss of the WeakTr baseline, ...
Only the image-level labels of the held-out list are read (a dataset
without masks works). ``HeldOutLossMetric`` averages them over the split.
"""
from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS


@LOOPS.register_module()
class HeldOutLossValLoop(ValLoop):
    """mmengine's ``ValLoop`` that feeds the evaluator the training losses
    of each batch instead of predictions::

        val_cfg = dict(type='HeldOutLossValLoop')
        val_evaluator = dict(type='HeldOutLossMetric')

    Args:
        runner, dataloader, evaluator, fp16: as ``ValLoop``. The dataloader's
        pipeline must give equal-sized images within a batch (e.g.
        ``Resize`` to the training crop) ending in ``PackWeakSegInputs``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if not hasattr(self.segmentor, 'loss'):
            raise TypeError('HeldOutLossValLoop needs a model with loss() '
                            f'(a SemPLeSSegmentor), got '
                            f'{type(self.segmentor).__name__}')

    @property
    def segmentor(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @torch.no_grad()
    def run_iter(self, idx, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook(
            'before_val_iter', batch_idx=idx, data_batch=data_batch)
        segmentor = self.segmentor
        with autocast(enabled=self.fp16):
            data = segmentor.data_preprocessor(data_batch, False)
            losses = segmentor.loss(data['inputs'], data['data_samples'])
            _, log_vars = segmentor.parse_losses(losses)
        values = {k: float(v) for k, v in log_vars.items()}
        # one record per image (the batch's means): the metric's collect
        # drops the samples a distributed sampler pads with
        outputs = [dict(held_out_losses=values,
                        img_path=s.metainfo.get('img_path'))
                   for s in data['data_samples']]
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter', batch_idx=idx, data_batch=data_batch,
            outputs=outputs)
