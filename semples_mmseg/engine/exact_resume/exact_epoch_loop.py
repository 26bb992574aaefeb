"""mmengine's epoch loop whose data iterator leaves the global RNG alone."""
from mmengine.runner import EpochBasedTrainLoop

from mmseg.registry import LOOPS
from .rng_state import preserved_rng


@LOOPS.register_module()
class ExactEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` with the epoch's data iterator made under a
    preserved RNG.

    torch's DataLoader draws its worker base seed from the global generator
    each time an iterator is made: persistent workers do it once per run,
    ``num_workers=0`` every epoch, and a resumed run once more. The model's
    drop-path draws would then depend on the worker setting and on where a
    run was resumed. Augmentation is unaffected: it comes from
    ``SeededSampler``'s per-sample seeds. Used by the baselines' schedules
    and by ``SemPLeSTrainLoop``.
    """

    def run_epoch(self) -> None:
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        with preserved_rng():
            batches = iter(self.dataloader)
        for idx, data_batch in enumerate(batches):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
