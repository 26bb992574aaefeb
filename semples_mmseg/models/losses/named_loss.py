"""The base every loss of ours shares: a weight and an mmengine-summable name."""
from typing import Dict

from torch import Tensor, nn


class NamedLoss(nn.Module):
    """``loss_weight`` and a ``loss_name`` that starts with ``loss_``.

    mmengine sums only the logged values whose key contains ``loss``; the
    unweighted terms a loss reports through ``terms()`` must not, so they are
    logged but never summed twice.
    """

    def __init__(self, *, loss_weight: float, loss_name: str) -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f"loss_name must start with 'loss_', got "
                             f'{loss_name!r}')
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        """The loss (what ``forward`` returns) from the unweighted terms of
        ``terms(...)``, so that a caller logging the terms computes them
        once: ``loss.weighted(loss.terms(*args)) == loss(*args)``."""
        raise NotImplementedError(
            f'{type(self).__name__} does not define weighted()')
