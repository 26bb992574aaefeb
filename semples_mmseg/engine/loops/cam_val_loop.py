"""Validation with CAM settings of its own (e.g. the reference's model
selection at scale 1.0 + flip while tests run at (1.0, 1.2))."""
from typing import Dict, List, Union

from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import ValLoop
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS
from ...models.segmentors.cam_inference import CAMInferenceSettings


@LOOPS.register_module()
class CAMValLoop(ValLoop):
    """mmengine's ``ValLoop`` that runs with ``model.test_cfg`` updated by
    ``model_test_cfg`` and restores it afterwards.

    ``tools/test.py``, the Inferencer, ``make_pseudo_masks.py`` and
    ``compare.py`` keep the model's own ``test_cfg``; only the per-epoch
    validation (the checkpoint choice) sees the override::

        val_cfg = dict(type='CAMValLoop',
                       model_test_cfg=dict(scales=(1.0, ), flip=True))

    Args:
        runner, dataloader, evaluator, fp16: as ``ValLoop``.
        model_test_cfg: keys of the segmentor's ``test_cfg``
            (``CAMInferenceSettings`` plus ``bg_threshold``), checked when
            the loop is built.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False,
                 *,
                 model_test_cfg: dict) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.model_test_cfg = dict(model_test_cfg)
        base = getattr(self.segmentor, 'test_cfg', None)
        if not isinstance(base, dict):
            raise TypeError(
                f'CAMValLoop needs a model with a test_cfg dict (a '
                f'SemPLeSSegmentor), got {type(self.segmentor).__name__}')
        try:
            CAMInferenceSettings.from_test_cfg(
                dict(base, **self.model_test_cfg))
        except ValueError as err:
            raise ValueError(f'val_cfg.model_test_cfg: {err}') from None

    @property
    def segmentor(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def run(self) -> dict:
        test_cfg = self.segmentor.test_cfg
        saved = dict(test_cfg)
        test_cfg.update(self.model_test_cfg)
        print_log(
            'validation CAM settings: ' + ', '.join(
                f'{k}={test_cfg[k]!r}' for k in sorted(self.model_test_cfg))
            + ' (model.test_cfg: ' + ', '.join(
                f'{k}={saved.get(k)!r}' for k in sorted(self.model_test_cfg))
            + ')',
            logger='current')
        try:
            return super().run()
        finally:
            test_cfg.clear()
            test_cfg.update(saved)
