"""Stage 1 -> 2 -> 3 of SemPLeS in one run (METHOD section 5).

Epochs count over the whole run (stage 1 takes epochs [0, E1), stage 2
[E1, E1 + E2), ...), so mmengine's checkpoints, ``--resume`` and loggers
work unchanged: the stage follows from the epoch. The call graph::

    run(): _start_run() or _resume_run() -> before_train hooks
        -> per epoch: _enter_stage() when the stage changes
                      (_load_start_weights() when it starts fresh)
                   -> _set_epoch_lr() -> run_epoch()
                   -> val_loop.run() when validation_due()

Elsewhere: the stages (``stage_schedule.py``), each stage's
``best_stage{N}.pth`` (``StageBestCheckpointHook``, registered here), exact
resume (``engine/exact_resume``), the input checks (``utils/preflight.py``).
"""
import copy
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS
from ...utils.atomic_files import naming_full_disk
from ...utils.preflight import (check_param_groups, check_prompt_source,
                                check_stage_datasets, check_validation_split)
from ..exact_resume import ExactEpochBasedTrainLoop, RNGStateHook
from ..exact_resume.cam_init_file import read_run_cam_init
from ..exact_resume.resume_checkpoint import resolve_resume_checkpoint
from ..exact_resume.run_start import start_or_resume
from ..exact_resume.seeded_sampler import warn_if_unseeded
from ..hooks.stage_best_checkpoint_hook import (StageBestCheckpointHook,
                                                choice_settings)
from .cam_weights import load_cam_state, read_cam_state
from .stage_schedule import StageSchedule, auto_scale_factor


@LOOPS.register_module()
class SemPLeSTrainLoop(ExactEpochBasedTrainLoop):
    """Runs the configured SemPLeS stages in sequence.

    Args:
        runner, dataloader: as mmengine's ``EpochBasedTrainLoop``.
        stages: one dict per stage (``StageSpec``); a stage's
            ``dataloader`` is merged over the top-level one by
            ``ConfigDict.merge`` (``_delete_=True`` replaces a dict).
        val_interval: validate every this many epochs of a validated stage
            (and at its last epoch).
        checkpoint_choice: how each validated stage's ``best_stage{N}.pth``
            is chosen (``docs/SELECTION.md``): ``'protocol'`` the highest
            ``best_metric``, ``'loss'`` the lowest, ``'last'`` the stage's
            last epoch (nothing validated).
        best_metric: default ``'mIoU'`` (``'held_out'`` under ``'loss'``).
        cam_init_checkpoint: stage 3's ``'initial'`` CAM weights (default:
            the run's own start weights, ``semples_cam_init.pth``).
        selection: the former name of ``checkpoint_choice``; refused.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 *,
                 stages: Sequence[dict],
                 val_interval: int = 1,
                 checkpoint_choice: str = 'protocol',
                 best_metric: Optional[str] = None,
                 cam_init_checkpoint: Optional[str] = None,
                 selection: Optional[str] = None) -> None:
        if selection is not None:
            raise TypeError('train_cfg.selection is now called '
                            'train_cfg.checkpoint_choice')
        self.best_metric, rule = choice_settings(checkpoint_choice,
                                                 best_metric)
        self.checkpoint_choice = checkpoint_choice
        self.schedule = StageSchedule(stages)
        if cam_init_checkpoint is None and self.schedule[0].stage != 1 and \
                any(s.start_from == 'initial' for s in self.schedule):
            raise ValueError('set train_cfg.cam_init_checkpoint: the run '
                             f'starts at stage {self.schedule[0].stage} and '
                             "a stage starts from the 'initial' CAM weights")
        self.cam_init_checkpoint = cam_init_checkpoint
        cfg = getattr(runner, 'cfg', None) or {}
        if cfg.get('resume') and not cfg.get('load_from'):
            resolve_resume_checkpoint(runner.work_dir)  # mmseg's train.py
        super().__init__(runner, dataloader, val_begin=1,
                         max_epochs=self.schedule.max_epochs,
                         val_interval=val_interval)
        self.stage_loaders = [self._stage_loader(dataloader, s.dataloader)
                              for s in self.schedule]
        self._max_iters = sum(s.max_epochs * len(loader) for s, loader in
                              zip(self.schedule, self.stage_loaders))
        self._active: Optional[int] = None
        self._check_stage_inputs(cfg)
        if not any(isinstance(h, RNGStateHook) for h in runner.hooks):
            runner.register_hook(RNGStateHook())
        StageBestCheckpointHook.configure(
            runner, rule=rule,
            save_best=None if rule == 'last' else self.best_metric)

    def _stage_loader(self, dataloader, override: Optional[dict]):
        if not override:
            return self.dataloader
        assert isinstance(dataloader, dict), \
            'a stage dataloader override needs train_dataloader as a config'
        merged = ConfigDict(dataloader)
        merged.merge(override)  # mmengine's rule, _delete_ included
        return self.runner.build_dataloader(merged, seed=self.runner.seed)

    def _check_stage_inputs(self, cfg) -> None:
        cam_net = self.segmentor.cam_net
        check_stage_datasets([(s.stage, loader.dataset) for s, loader in
                              zip(self.schedule, self.stage_loaders)],
                             getattr(cam_net, 'num_classes', None))
        for spec, loader in zip(self.schedule, self.stage_loaders):
            warn_if_unseeded(loader, f'stage {spec.stage}')
        check_prompt_source([(s.stage, s.losses) for s in self.schedule],
                            load_from=cfg.get('load_from'),
                            resume=bool(cfg.get('resume')))
        path = self.cam_init_checkpoint
        if path is not None:  # stage 3's start, loaded now into a copy
            load_cam_state(copy.deepcopy(cam_net), read_cam_state(path),
                           f'{path} (train_cfg.cam_init_checkpoint)')

    @property
    def segmentor(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def validation_due(self, epoch: int) -> bool:
        """Whether a stage's best checkpoint is chosen after ``epoch``
        epochs: every ``val_interval`` epochs of a validated stage and at
        its end; under ``'last'`` at its end only."""
        index = self.schedule.index_of(epoch - 1)
        start, end = self.schedule.starts[index:index + 2]
        if not self.schedule[index].validate:
            return False
        if self.checkpoint_choice == 'last':
            return epoch == end
        return self.runner.val_loop is not None and (
            (epoch - start) % self.val_interval == 0 or epoch == end)

    def best_checkpoint_name(self, epoch: int) -> str:
        """``best_stage{N}[_round{R}].pth`` of the stage of ``epoch``."""
        return self.schedule.best_names[self.schedule.index_of(epoch - 1)]

    def run(self) -> torch.nn.Module:
        with naming_full_disk(self.runner.work_dir):
            self._check_validation_split()
            start_or_resume(
                self.runner, epoch=self._epoch, stages=self.schedule,
                starts=self.schedule.starts, choice=dict(
                    checkpoint_choice=self.checkpoint_choice,
                    best_metric=self.best_metric),
                cam_net=None if self.cam_init_checkpoint else
                self.segmentor.cam_net)
            if self._epoch > 0:  # a held-out validation may be redone
                self._set_stage(self.schedule.index_of(self._epoch - 1))
            self.runner.call_hook('before_train')  # may redo a validation
            while self._epoch < self._max_epochs and not self.stop_training:
                index = self.schedule.index_of(self._epoch)
                if index != self._active:
                    self._enter_stage(index, fresh=self._epoch ==
                                      self.schedule.starts[index])
                self._set_epoch_lr(index)
                self.run_epoch()
                if self.checkpoint_choice != 'last' and \
                        self.validation_due(self._epoch):
                    self.runner.val_loop.run()
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_iter(self, idx, data_batch) -> None:
        hub = self.runner.message_hub
        hub.update_scalar('train/stage', self.schedule[self._active].stage)
        hub.update_scalar('train/stage_lr', self._stage_lr)
        super().run_iter(idx, data_batch)

    def _check_validation_split(self) -> None:
        """The split the seed mIoU reads (``'protocol'`` only)."""
        if self.checkpoint_choice == 'protocol' and any(
                s.validate for s in self.schedule) and \
                self.runner.val_loop is not None:
            backbone = getattr(self.segmentor.cam_net, 'backbone', None)
            check_validation_split(
                self.runner.val_loop.dataloader.dataset,
                patch_size=getattr(backbone, 'patch_size', None),
                min_scale=min(self.segmentor.test_cfg.get('scales') or (1, )))

    def _set_stage(self, index: int) -> None:
        spec = self.schedule[index]
        self.segmentor.set_stage(losses=spec.losses, mask_eps=spec.mask_eps,
                                 joint=spec.joint)

    def _enter_stage(self, index: int, *, fresh: bool) -> None:
        spec = self.schedule[index]
        optimizer = self.runner.optim_wrapper.optimizer
        check_param_groups(spec.stage, spec.lr, optimizer.param_groups)
        if fresh:
            self._load_start_weights(index)
            optimizer.state.clear()
        self._set_stage(index)
        self.dataloader = self.stage_loaders[index]
        # the previous stage's loss terms would otherwise stay in every log
        scalars = self.runner.message_hub.log_scalars
        for key in [k for k in scalars if k.startswith('train/')
                    and k not in ('train/time', 'train/data_time')]:
            scalars.pop(key)
        self._active = index
        start, end = self.schedule.starts[index:index + 2]
        print_log(
            f'SemPLeS stage {spec.stage} ({spec.name}): epochs {start + 1}-'
            f'{end} of {self._max_epochs}, losses {list(spec.losses)}, mask '
            f'eps {spec.mask_eps}, lr {spec.lr}, batch '
            f"{self.dataloader.batch_size}{'' if fresh else ' (resumed)'}",
            logger='current')

    def stage_batch_scale(self, index: int) -> float:
        """``auto_scale_lr``'s factor for stage ``index``'s total batch."""
        return auto_scale_factor(
            self.runner.auto_scale_lr,
            self.runner.world_size * self.stage_loaders[index].batch_size)

    def _set_epoch_lr(self, index: int) -> None:
        scale = self.stage_batch_scale(index)
        lrs = self.schedule.group_lrs(index, self._epoch, scale)
        for group in self.runner.optim_wrapper.optimizer.param_groups:
            group['lr'] = lrs.get(group.get('name'), 0.0)
        self._stage_lr = max(lrs.values())  # mmengine logs the first group's
        if self._epoch == self.schedule.starts[index] and scale != 1.0:
            print_log(f'stage {self.schedule[index].stage}: auto_scale_lr: '
                      f'lr x {scale:g} (total batch / base_batch_size)',
                      logger='current')

    def _load_start_weights(self, index: int) -> None:
        """A fresh stage's CAM weights: the run's initial ones, or the best
        checkpoint of the stage before (when that one was chosen)."""
        spec, path = self.schedule[index], self.cam_init_checkpoint
        if spec.start_from == 'initial':
            path, state = (path, read_cam_state(path)) if path else \
                read_run_cam_init(self.runner)
        elif spec.start_from == 'previous_best' and index > 0 and \
                self.validation_due(self.schedule.starts[index]):
            path = osp.join(self.runner.work_dir,
                            self.schedule.best_names[index - 1])
            state = read_cam_state(path)  # a missing file is named
        else:
            if spec.start_from == 'previous_best':
                print_log(f'stage {spec.stage}: the stage before chose no '
                          'best checkpoint: starting from the current '
                          'weights', logger='current')
            return
        load_cam_state(self.segmentor.cam_net, state, path)
        print_log(f'stage {spec.stage}: CAM network loaded from {path}',
                  logger='current')
