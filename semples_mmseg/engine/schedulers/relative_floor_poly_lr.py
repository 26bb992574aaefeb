"""Poly decay to a floor relative to each parameter group's own lr."""
from mmengine.optim.scheduler import PolyLR
from mmengine.optim.scheduler.param_scheduler import INF

from mmseg.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class RelativeFloorPolyLR(PolyLR):
    """``lr = lr0 * (r + (1 - r) * (1 - t / T) ** power)`` for every group.

    ``lr0`` is the group's initial lr (after ``lr_mult``), ``r`` is
    ``eta_min_ratio``, ``t`` the steps since ``begin`` and
    ``T = end - begin``. The floor is relative to each group: WeakTr's
    poly with min-lr 1e-5 at base lr 1e-4, applied before the encoder's
    x0.1, is ``eta_min_ratio=0.1`` (decoder 1e-4 -> 1e-5, encoder
    1e-5 -> 1e-6). mmengine's ``PolyLR`` has one absolute ``eta_min`` for
    all groups and reaches it at ``t = T - 1``. Closed form from the initial
    lrs: not to be chained with another lr scheduler over the same steps.

    Args:
        optimizer: the (wrapped) optimizer.
        eta_min_ratio: the floor as a fraction of each group's initial lr.
        power: the power of the decay.
        begin / end / last_step / by_epoch / verbose: as ``PolyLR``'s;
            ``end`` must be given.
    """

    def __init__(self,
                 optimizer,
                 *,
                 eta_min_ratio: float = 0.0,
                 power: float = 1.0,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        if end == INF:
            raise ValueError('RelativeFloorPolyLR needs an end')
        if not 0 <= eta_min_ratio <= 1:
            raise ValueError('eta_min_ratio must be in [0, 1], got '
                             f'{eta_min_ratio}')
        self.eta_min_ratio = eta_min_ratio
        super().__init__(
            optimizer,
            eta_min=0.0,
            power=power,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _get_value(self):
        decay = (1 - self.last_step / (self.end - self.begin))**self.power
        r = self.eta_min_ratio
        return [lr0 * (r + (1 - r) * decay) for lr0 in self.base_values]
