"""Random-number state in checkpoints, so that ``--resume`` is exact."""
import logging
from typing import Optional

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS
from .rng_state import capture_rng_state, restore_rng_state

RNG_INFO_KEY = 'semples_rng_states'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves every rank's generators at each epoch end; a resumed run puts
    them back; validation leaves them untouched.

    * ``after_train_epoch`` (before ``CheckpointHook`` writes the epoch
      checkpoint): Python / NumPy / torch (/ CUDA) states of all ranks go into
      the message hub's runtime info, which mmengine saves in the checkpoint
      and restores on ``--resume``.
    * ``before_train`` of a resumed run: each rank gets its own state back
      (with another number of ranks: a warning, the states stay as seeded).
    * ``before_val`` / ``after_val``: the states around a validation are put
      back, so how often one validates never changes the training.

    Dataloader workers draw from per-sample seeds (``SeededSampler``), not
    from these states. ``SemPLeSTrainLoop`` registers this hook itself when
    the config does not.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._before_val: Optional[dict] = None

    def after_train_epoch(self, runner) -> None:
        states = all_gather_object(capture_rng_state())
        runner.message_hub.update_info(RNG_INFO_KEY, states)

    def before_train(self, runner) -> None:
        if runner.train_loop.epoch == 0 and runner.train_loop.iter == 0:
            return
        states = runner.message_hub.get_info(RNG_INFO_KEY)
        rank, world = get_dist_info()
        if states is None:
            print_log('the resumed checkpoint holds no random-number states '
                      '(written before RNGStateHook): the rest of the run '
                      'will not repeat the uninterrupted one exactly',
                      logger='current', level=logging.WARNING)
        elif len(states) != world:
            print_log(f'the resumed checkpoint holds the random-number states '
                      f'of {len(states)} processes, this run has {world}: '
                      'they are not restored', logger='current',
                      level=logging.WARNING)
        else:
            restore_rng_state(states[rank])

    def before_val(self, runner) -> None:
        self._before_val = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng_state(self._before_val)
            self._before_val = None
