"""``tools/test.py --tta`` for CAM models: the segmentor makes the views.

mmseg's ``--tta`` puts ``tta_model`` around the config's model and feeds it
``tta_pipeline``. mmseg's ``SegTTAModel`` averages softmaxed logits of
pipeline-made views, which means nothing for CAMs (channel 0 is a constant
threshold) and drops ``pred_cams``. A CAM network's test-time augmentation
is its multi-scale + flip CAM inference, made inside the model (every entry
point makes the views the same way), so our configs set
``tta_model = dict(type='SemPLeSTTAModel')`` and ``tta_pipeline`` = the test
pipeline (one view per image).
"""
from contextlib import contextmanager
from typing import List, Optional, Sequence

from mmengine.logging import print_log
from mmengine.model import BaseTTAModel

from mmseg.registry import MODELS
from mmseg.utils import SampleList


@MODELS.register_module()
class SemPLeSTTAModel(BaseTTAModel):
    """Runs the wrapped segmentor's multi-scale + flip CAM inference.

    Args:
        module: the segmentor (config or module), e.g. ``SemPLeSSegmentor``.
        scales / flip: the views ``--tta`` runs instead of the segmentor's
            ``test_cfg`` ones; ``None`` keeps the config's (its multi-scale
            + flip inference, what the configs evaluate with).
    """

    def __init__(self,
                 *,
                 module,
                 scales: Optional[Sequence[float]] = None,
                 flip: Optional[bool] = None,
                 data_preprocessor=None) -> None:
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        test_cfg = getattr(self.module, 'test_cfg', None)
        if not isinstance(test_cfg, dict) or 'scales' not in test_cfg:
            raise TypeError(
                f'SemPLeSTTAModel wraps a CAM segmentor with test_cfg scales '
                f'/ flip, got {type(self.module).__name__}')
        if scales is not None and not scales:
            raise ValueError(f'scales must name at least one scale, got '
                             f'{scales!r}')
        self.scales = None if scales is None else tuple(scales)
        self.flip = flip
        views = self.views()
        print_log(f"test-time augmentation: CAMs at scales {views['scales']}"
                  f"{' and their mirror images' if views['flip'] else ''}, "
                  'made inside the segmentor', logger='current')

    def views(self) -> dict:
        """The scales and flip this model tests with."""
        cfg = self.module.test_cfg
        return dict(
            scales=tuple(cfg['scales'] if self.scales is None else self.scales),
            flip=bool(cfg['flip'] if self.flip is None else self.flip))

    @contextmanager
    def _tta_views(self):
        cfg = self.module.test_cfg
        saved = dict(scales=cfg['scales'], flip=cfg['flip'])
        cfg.update(self.views())
        try:
            yield
        finally:
            cfg.update(saved)

    def test_step(self, data) -> SampleList:
        """One batch of one view per image -> the segmentor's predictions."""
        with self._tta_views():
            return self.module.test_step(data)

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Each image has one prediction (its views are merged inside)."""
        return [samples[0] for samples in data_samples_list]
