"""A deterministic stand-in for ``kill -9`` in resume tests.

``KillSwitchHook(epoch=E, iteration=I, phase='train')`` stops the run just
before training iteration I (0-based, within the epoch) of epoch E (0-based,
global); ``phase='val'`` stops it after validation iteration I of the first
validation that starts during epoch E's end. ``mode='raise'`` raises
:class:`SimulatedKill` (in-process tests), ``mode='exit'`` ends the process
at once with ``os._exit(137)`` (no cleanup, no ``after_run``: a kill).
Importing ``semples_mmseg.testing`` registers it into mmseg's ``HOOKS``.
"""
import os

from mmengine.hooks import Hook

from mmseg.registry import HOOKS


class SimulatedKill(RuntimeError):
    """Raised by :class:`KillSwitchHook` with ``mode='raise'``."""


@HOOKS.register_module()
class KillSwitchHook(Hook):
    """Stops the run at a fixed point (see the module doc)."""

    priority = 'VERY_HIGH'

    def __init__(self, *, epoch: int, iteration: int = 0,
                 phase: str = 'train', mode: str = 'raise') -> None:
        if phase not in ('train', 'val'):
            raise ValueError(f"phase must be 'train' or 'val', got {phase!r}")
        if mode not in ('raise', 'exit'):
            raise ValueError(f"mode must be 'raise' or 'exit', got {mode!r}")
        self.epoch, self.iteration = epoch, iteration
        self.phase, self.mode = phase, mode

    def _kill(self, where: str) -> None:
        if self.mode == 'exit':
            os._exit(137)
        raise SimulatedKill(f'simulated kill {where}')

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if (self.phase == 'train' and runner.epoch == self.epoch
                and batch_idx == self.iteration):
            self._kill(f'before train iteration {batch_idx} of epoch '
                       f'{runner.epoch}')

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        # during the validation after epoch E, runner.epoch is E + 1
        if (self.phase == 'val' and runner.epoch == self.epoch + 1
                and batch_idx == self.iteration):
            self._kill(f'after validation iteration {batch_idx} of epoch '
                       f'{self.epoch}')
