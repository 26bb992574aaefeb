"""Each stage's best checkpoint, and on ``--resume`` the validation that a
killed run did not finish."""
import json
import logging
import os.path as osp
from typing import Dict, Optional, Tuple

from mmengine.dist import barrier, broadcast_object_list
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from mmseg.registry import HOOKS
from ...utils.atomic_files import atomic_path, write_json_atomically

RULES = ('greater', 'less', 'last')
#: train_cfg.checkpoint_choice -> (default best_metric, rule)
CHECKPOINT_CHOICES = {'protocol': ('mIoU', 'greater'),
                      'loss': ('held_out', 'less'), 'last': (None, 'last')}
RECORD_FILE = 'last_validation.json'
#: message-hub keys of best scores and files (ours, mmengine CheckpointHook's)
BEST_INFO_PREFIXES = ('semples_best_', 'best_score', 'best_ckpt')


def choice_settings(choice: str,
                    best_metric: Optional[str]) -> Tuple[Optional[str], str]:
    """(best_metric, rule) of ``train_cfg.checkpoint_choice`` (see
    ``docs/SELECTION.md``) and ``train_cfg.best_metric``."""
    if choice not in CHECKPOINT_CHOICES:
        raise ValueError('train_cfg.checkpoint_choice must be one of '
                         f'{tuple(CHECKPOINT_CHOICES)}, got {choice!r}')
    if choice == 'loss' and best_metric == 'mIoU':
        raise ValueError("train_cfg.checkpoint_choice='loss' ranks a loss: "
                         "set best_metric='held_out'")
    default_metric, rule = CHECKPOINT_CHOICES[choice]
    return best_metric or default_metric, rule


@HOOKS.register_module()
class StageBestCheckpointHook(Hook):
    """mmengine's ``CheckpointHook(save_best=..., rule=...)`` per stage, and
    validations that survive a kill.

    * Best checkpoint: after each validation the stage's best file
      (``loop.best_checkpoint_name(epoch)``: ``best_stage{N}.pth`` under
      ``SemPLeSTrainLoop``, which sets ``save_best`` and ``rule`` from
      ``train_cfg.checkpoint_choice``; ``best.pth`` under a loop without
      stages) is replaced when ``save_best`` is better by ``rule``. With
      ``rule='last'`` nothing is validated: the stage's last epoch is kept.
    * Resume, under any epoch-based loop (the baselines: their
      ``CheckpointHook`` keeps their best, ``save_best=None`` here): the
      epoch checkpoint is written before that epoch's validation, so a run
      killed during the validation resumes after it. Each finished
      validation is recorded in ``{work_dir}/last_validation.json`` with
      the best scores it left; a resumed run restores those (its checkpoint
      predates them) when the record has its epoch, and validates that
      epoch again otherwise.

    Args:
        save_best: the metric that ranks the epochs of a stage; None: no
            best checkpoint of this hook's own (or ``rule='last'``).
        rule: ``'greater'`` or ``'less'``; ``'last'``: the stage's last
            epoch, no metric.
    """

    priority = 'LOWEST'  # after CheckpointHook, whose best it records

    def __init__(self, *, save_best: Optional[str] = None,
                 rule: Optional[str] = None) -> None:
        if rule is not None and rule not in RULES:
            raise ValueError(f'rule must be one of {RULES}, got {rule!r}')
        if (save_best is None) != (rule in (None, 'last')):
            raise ValueError(f'save_best={save_best!r} with rule={rule!r}')
        self.save_best = save_best
        self.rule = rule
        self._validated_epoch: Optional[int] = None

    @classmethod
    def configure(cls, runner, *, save_best: Optional[str],
                  rule: Optional[str]) -> 'StageBestCheckpointHook':
        """The runner's hook set to ``save_best`` / ``rule``; registered
        when the config lists none."""
        hook = next((h for h in runner.hooks if isinstance(h, cls)), None)
        if hook is None:
            hook = cls()
            runner.register_hook(hook)
        hook.save_best, hook.rule = save_best, rule
        return hook

    @staticmethod
    def _loop(runner) -> Optional[EpochBasedTrainLoop]:
        """The built epoch-based train loop (``runner.val()`` has none)."""
        loop = getattr(runner, '_train_loop', None)
        return loop if isinstance(loop, EpochBasedTrainLoop) else None

    @staticmethod
    def validation_due(runner, loop, epoch: int) -> bool:
        """Whether the loop validates (or chooses) after ``epoch`` epochs."""
        if hasattr(loop, 'validation_due'):
            return loop.validation_due(epoch)
        return runner.val_loop is not None and epoch >= loop.val_begin and (
            epoch % loop.val_interval == 0 or epoch == loop.max_epochs)

    # ------------------------------------------------------------------
    def after_train_epoch(self, runner) -> None:
        loop = self._loop(runner)
        epoch = runner.epoch + 1  # mmengine counts up after this hook
        if self.rule == 'last' and loop is not None and \
                self.validation_due(runner, loop, epoch):
            self._choose(runner, loop, epoch, metrics={})

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        loop = self._loop(runner)
        if loop is not None and self.rule != 'last':
            self._choose(runner, loop, runner.epoch, metrics or {})

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On resume: put back the best scores of a validation that finished
        after the epoch checkpoint was written."""
        epoch = checkpoint.get('meta', {}).get('epoch')
        record = self._read_record(runner)
        if record is not None and record.get('epoch') == epoch:
            for key, value in (record.get('bests') or {}).items():
                runner.message_hub.update_info(key, value)
            self._validated_epoch = epoch

    def before_train(self, runner) -> None:
        loop, epoch = self._loop(runner), runner.epoch
        if self.rule == 'last' and runner.val_loop is not None:
            print_log("rule 'last' (checkpoint_choice='last') runs no "
                      'validation: set val_dataloader, val_cfg and '
                      'val_evaluator to None', logger='current',
                      level=logging.WARNING)
        if loop is None or epoch == 0 or epoch == self._validated_epoch \
                or not self.validation_due(runner, loop, epoch):
            return
        if self.rule == 'last':
            print_log(f'epoch {epoch} was not kept as its stage\'s last '
                      'before the run stopped: keeping it now',
                      logger='current', level=logging.WARNING)
            self._choose(runner, loop, epoch, metrics={})
        else:
            print_log(f'epoch {epoch} was not validated before the run '
                      'stopped: validating it now', logger='current',
                      level=logging.WARNING)
            runner.val_loop.run()

    # ------------------------------------------------------------------
    def _choose(self, runner, loop, epoch: int, metrics: dict) -> None:
        """Keep the stage's best checkpoint, then record the validation."""
        name = None
        if self.rule is not None:
            name = loop.best_checkpoint_name(epoch) if hasattr(
                loop, 'best_checkpoint_name') else 'best.pth'
            self._keep_if_best(runner, name, epoch, metrics)
        if runner.rank == 0:
            bests = {k: v for k, v in runner.message_hub.runtime_info.items()
                     if k.startswith(BEST_INFO_PREFIXES)}
            record = dict(epoch=epoch, checkpoint=name, rule=self.rule,
                          metric=self.save_best, bests=bests, metrics=metrics)
            write_json_atomically(json.loads(json.dumps(record, default=str)),
                                  osp.join(runner.work_dir, RECORD_FILE))
        barrier()  # the other ranks read the best file at the next stage

    def _keep_if_best(self, runner, name: str, epoch: int,
                      metrics: dict) -> None:
        hub = runner.message_hub
        key = 'semples_' + osp.splitext(name)[0]
        score = None
        if self.rule != 'last':
            if self.save_best not in metrics:
                raise KeyError(f'save_best {self.save_best!r} is not among '
                               f'the validation metrics {sorted(metrics)}')
            score = float(metrics[self.save_best])
            best = hub.get_info(key)
            if best is not None and not (score > best if self.rule ==
                                         'greater' else score < best):
                return
        hub.update_info(key, score)
        if runner.rank == 0:
            with atomic_path(osp.join(runner.work_dir, name)) as tmp:
                runner.save_checkpoint(
                    osp.dirname(tmp), osp.basename(tmp),
                    save_optimizer=False, save_param_scheduler=False,
                    meta=dict(epoch=epoch, iter=runner.iter), by_epoch=False)
        what = 'its stage\'s last' if score is None else \
            f'{self.save_best} {score:.4f}, {self.rule} is better'
        print_log(f'epoch {epoch}: saved {name} ({what})', logger='current')

    @staticmethod
    def _read_record(runner) -> Optional[dict]:
        record = [None]
        if runner.rank == 0:
            try:
                with open(osp.join(runner.work_dir, RECORD_FILE)) as f:
                    record[0] = json.load(f)
            except (OSError, ValueError):
                pass
        broadcast_object_list(record)
        return record[0]
