"""``--resume`` redoes a validation the interrupted run did not finish, for
mmengine's stock ``EpochBasedTrainLoop`` (the WeakTr and CLIMS baselines).

mmengine writes the epoch checkpoint (``CheckpointHook.after_train_epoch``)
before that epoch's validation: a run killed during the validation resumes
from the next epoch, so that epoch never competes for ``save_best`` and its
metrics never reach the log. ``SemPLeSTrainLoop`` handles this itself
(``semples_last_validation.json``); this hook does it for the stock loop.
"""
import json
import logging
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import broadcast_object_list
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from mmseg.registry import HOOKS
from ...utils.atomic_files import write_json_atomically

VALIDATION_RECORD = 'last_validation.json'


@HOOKS.register_module()
class RedoUnfinishedValidationHook(Hook):
    """Records each finished validation in ``{work_dir}/last_validation.json``
    and, at the start of a resumed run, validates the resumed epoch again
    unless the record says its validation finished.

    The redo runs in ``before_train`` after every other hook's (priority
    ``'LOWEST'``: ``CheckpointHook`` has read its best score and path from
    the checkpoint), with the epoch counter of the interrupted validation,
    so ``save_best`` names and compares as in an uninterrupted run. Does
    nothing for ``SemPLeSTrainLoop`` (it redoes its own) or iteration-based
    loops.
    """

    priority = 'LOWEST'

    @staticmethod
    def _applies(runner) -> bool:
        from ..loops.semples_train_loop import SemPLeSTrainLoop
        # the built loop only (runner.train_loop would build it from its
        # config under runner.val())
        loop = getattr(runner, '_train_loop', None)
        return isinstance(loop, EpochBasedTrainLoop) and not isinstance(
            loop, SemPLeSTrainLoop)

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if runner.rank != 0 or not self._applies(runner):
            return
        write_json_atomically(
            dict(epoch=runner.epoch,
                 metrics=json.loads(json.dumps(metrics or {}, default=str))),
            osp.join(runner.work_dir, VALIDATION_RECORD))

    def before_train(self, runner) -> None:
        if not self._applies(runner) or runner.val_loop is None:
            return
        loop, epoch = runner.train_loop, runner.epoch
        if epoch == 0 or epoch < loop.val_begin or not (
                epoch % loop.val_interval == 0 or epoch == loop.max_epochs):
            return  # a fresh run, or no validation after this epoch
        record = [None]
        if runner.rank == 0:
            try:
                with open(osp.join(runner.work_dir, VALIDATION_RECORD)) as f:
                    record[0] = json.load(f)
            except (OSError, ValueError):
                record[0] = None
        broadcast_object_list(record)
        if record[0] and record[0].get('epoch') == epoch:
            return
        print_log(f'epoch {epoch} was not validated before the run stopped: '
                  'validating it now', logger='current',
                  level=logging.WARNING)
        runner.val_loop.run()
