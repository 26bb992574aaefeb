"""The mean training loss over a held-out split (label-free selection,
``docs/SELECTION.md``): lower is better."""
from collections import defaultdict
from typing import Dict, List, Sequence

from mmengine.evaluator import BaseMetric

from mmseg.registry import METRICS


def metric_name(loss_key: str) -> str:
    """``'loss'`` -> ``'held_out'``, ``'loss_match'`` -> ``'held_out_match'``;
    unweighted terms (no ``loss`` in the name) keep theirs."""
    if loss_key == 'loss':
        return 'held_out'
    if loss_key.startswith('loss_'):
        return 'held_out_' + loss_key[len('loss_'):]
    return loss_key


@METRICS.register_module()
class HeldOutLossMetric(BaseMetric):
    """Averages the per-image records of ``HeldOutLossValLoop``.

    Returns ``held_out`` (the sum of the active weighted losses, what
    training minimises), ``held_out_{name}`` per weighted loss
    (``loss_match`` -> ``held_out_match``) and the unweighted terms as
    training logs them (``otm``, ``btm``, ...), each the mean over the
    split's images (with validation batch size 1: the mean of the per-image
    losses). Pixel labels are never read.

    No key contains ``loss``: mmengine's ``LogProcessor`` would log such a
    key as the mean of its last 10 values (its ``mean_pattern``), not this
    validation's number.
    """

    default_prefix = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if not isinstance(sample, dict) or \
                    'held_out_losses' not in sample:
                raise TypeError(
                    'HeldOutLossMetric needs the losses of '
                    "val_cfg=dict(type='HeldOutLossValLoop'), got "
                    f'{type(sample).__name__} outputs (predictions)')
            self.results.append({
                metric_name(key): value
                for key, value in sample['held_out_losses'].items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        if not results:
            raise ValueError('HeldOutLossMetric: no image was evaluated')
        sums: Dict[str, float] = defaultdict(float)
        counts: Dict[str, int] = defaultdict(int)
        for record in results:
            for key, value in record.items():
                sums[key] += value
                counts[key] += 1
        return {key: sums[key] / counts[key] for key in sums}
