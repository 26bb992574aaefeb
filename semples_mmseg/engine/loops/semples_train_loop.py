"""Stage 1 -> 2 -> 3 of SemPLeS in one run (METHOD section 5).

Epochs are counted over the whole run (stage 1 takes epochs [0, E1), stage 2
[E1, E1 + E2), ...), so mmengine's checkpoints, ``--resume`` and loggers work
unchanged: the stage is derived from the resumed epoch.

Per stage the loop switches:

* the segmentor's active losses and soft-mask eps (``set_stage``);
* the dataloader (batch size, augmentation), merged over the top-level
  ``train_dataloader`` config;
* the learning rate of each named param group (``StageParamGroupsConstructor``):
  a group the stage does not list gets lr 0, and a per-epoch cosine to 0
  without warm-up scales the listed ones;
* the starting weights, when the stage starts fresh: stage 2 starts from the
  best stage-1 checkpoint, stage 3 from the CAM network's *initial* weights
  (the baseline checkpoint; ``start_from='previous_best'`` keeps stage-1's);
  the optimizer state is cleared.

The best checkpoint of each validated stage is written as
``best_stage{N}.pth`` in the work dir, chosen by ``selection``
(``docs/SELECTION.md``): ``'protocol'`` (default, the reference) the highest
``best_metric`` (seed mIoU) of the validation loop; ``'loss'`` the lowest
``best_metric`` (``'held_out'``: ``HeldOutLossValLoop`` +
``HeldOutLossMetric``,
image-level labels only); ``'last'`` the stage's last epoch, no validation
at all. A stage
number listed again (rounds of stages 2 -> 3, the paper's Table 6) writes
``best_stage{N}_round{R}.pth`` for its R-th occurrence, and
``'previous_best'`` reads the file of the stage listed just before.

What the loop guarantees (issue 10):

* every stage's inputs are checked when the loop is built, before the
  first iteration: dataset class counts, ``cam_init_checkpoint`` (exists,
  fits the CAM network), prompts for a refinement stage;
* ``semples_cam_init.pth`` is written atomically at epoch 0 with the
  fingerprint of its tensors, which the run records (``cam_init_file.py``);
  best checkpoints are written atomically too;
* ``--resume`` repeats the uninterrupted run bit for bit on CPU:
  ``RNGStateHook`` (registered here when the config lacks it) stores every
  rank's generators in the epoch checkpoints, ``SeededSampler`` makes the
  augmentation of a sample a function of (seed, epoch, index);
* a resumed run stops when ``train_cfg.stages`` differs from the schedule
  recorded in the checkpoint, checks the start files of the stages still
  to come, and validates again an epoch whose validation did not finish
  (``semples_last_validation.json`` records the last one that did);
* ``last_checkpoint`` naming another folder (a copied / moved work dir) is
  pointed back into this work dir (``engine/resume.py``).
"""
import copy
import json
import logging
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS
from ...datasets.seeded_sampler import SeededSampler
from ...models.segmentors.checkpoint_compat import check_segmentor_state
from ...utils.atomic_files import (atomic_path, naming_full_disk,
                                   write_json_atomically)
from ..hooks.rng_state_hook import RNGStateHook
from .exact_epoch_loop import ExactEpochBasedTrainLoop
from ..resume import resolve_resume_checkpoint
from ...utils.fingerprint import tensor_fingerprint
from .cam_init_file import (CAM_INIT_FILE, FINGERPRINT_INFO_KEY,
                            read_cam_init, write_cam_init)

# lr: the reference's nominal VOC rates, for a total batch of 512
# (configs/_base_/schedules/semples_3x60e.py scales them by auto_scale_lr)
STAGE_DEFAULTS = {
    1: dict(name='matching', losses=('match', ), mask_eps=0.1,
            lr=dict(cam_net=5.12e-4), validate=True, start_from='current',
            schedule='cosine', joint=False),
    2: dict(name='prompts', losses=('prompt', ), mask_eps=1e-4,
            lr=dict(prompt_learner=0.1), validate=False,
            start_from='previous_best', schedule='cosine', joint=False),
    3: dict(name='refinement', losses=('match', 'refine'), mask_eps=0.1,
            lr=dict(cam_net=5.12e-4), validate=True, start_from='initial',
            schedule='cosine', joint=False),
}
START_FROM = ('current', 'previous_best', 'initial')
# selection -> (default best_metric, better-than rule)
SELECTIONS = {'protocol': ('mIoU', 'greater'), 'loss': ('held_out', 'less'),
              'last': (None, None)}
SELECTION_INFO_KEY = 'semples_selection'
SCHEDULES = ('cosine', 'poly')
STAGES_INFO_KEY = 'semples_stages'
VALIDATION_FILE = 'semples_last_validation.json'
# dataloader settings that may change between a run and its resume
WORKER_KEYS = ('num_workers', 'persistent_workers', 'pin_memory',
               'prefetch_factor')


def lr_factor(schedule: str, progress: float) -> float:
    """Multiplier of the base lr after ``progress`` (0..1) of a stage."""
    if schedule == 'cosine':
        return 0.5 * (1 + math.cos(math.pi * progress))
    return (1 - progress)**0.9


def merge_cfg(base: dict, override: dict) -> dict:
    """Recursive dict merge: dicts merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_cfg(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@LOOPS.register_module()
class SemPLeSTrainLoop(ExactEpochBasedTrainLoop):
    """Runs the configured SemPLeS stages in sequence.

    Args:
        runner: the mmengine runner.
        dataloader: the top-level ``train_dataloader`` (config or object).
        stages: one dict per stage, in order: ``stage`` (1, 2 or 3),
            ``max_epochs`` and optionally ``losses``, ``mask_eps``, ``lr``
            (param-group name -> base lr), ``schedule`` (``'cosine'`` or
            ``'poly'``), ``dataloader`` (partial config
            merged over the top-level one), ``validate``, ``start_from``
            (``'current'``, ``'previous_best'`` or ``'initial'``), ``joint``
            (stage 2's ``'prompt'`` together with other losses, see
            ``SemPLeSSegmentor.set_stage``); unset keys
            take the stage's defaults (``STAGE_DEFAULTS``).
        val_interval: validate every this many epochs of a validated stage
            (and at its last epoch).
        selection: how each validated stage's ``best_stage{N}.pth`` is
            chosen (``docs/SELECTION.md``): ``'protocol'`` the highest
            ``best_metric`` of the validation loop (the reference: seed mIoU
            on the train list, pixel labels); ``'loss'`` the lowest
            ``best_metric`` (a held-out loss, image-level labels only);
            ``'last'`` the stage's last epoch (the validation loop is not
            run, no label of any kind is read).
        best_metric: the metric key that picks each stage's best checkpoint
            (default ``'mIoU'``, with ``selection='loss'`` ``'held_out'``).
        cam_init_checkpoint: where stage 3's ``'initial'`` weights come from
            when this run does not start with stage 1 (a checkpoint holding
            ``cam_net.*`` keys or a bare CAM-network state dict). By default
            the CAM network's weights at the start of the run are saved to
            ``{work_dir}/semples_cam_init.pth``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 *,
                 stages: Sequence[dict],
                 val_interval: int = 1,
                 selection: str = 'protocol',
                 best_metric: Optional[str] = None,
                 cam_init_checkpoint: Optional[str] = None) -> None:
        if selection not in SELECTIONS:
            raise ValueError(f'train_cfg.selection must be one of '
                             f'{tuple(SELECTIONS)}, got {selection!r}')
        default_metric, self.rule = SELECTIONS[selection]
        if selection == 'loss' and best_metric == 'mIoU':
            raise ValueError(
                "train_cfg.selection='loss' ranks by a loss (lower is "
                "better), but best_metric is 'mIoU': set "
                "best_metric='held_out' (HeldOutLossMetric) or "
                "selection='protocol'")
        self.selection = selection
        self.stages = self._resolve_stages(stages)
        self.best_names = best_checkpoint_names(self.stages)
        if (cam_init_checkpoint is None and self.stages[0]['stage'] != 1
                and any(s['start_from'] == 'initial' for s in self.stages)):
            raise ValueError(
                'train_cfg.stages starts at stage '
                f"{self.stages[0]['stage']} and a stage starts from the "
                "'initial' CAM weights: set train_cfg.cam_init_checkpoint to "
                'the baseline CAM checkpoint (or start_from=\'current\')')
        self.cam_init_checkpoint = cam_init_checkpoint
        self.best_metric = best_metric or default_metric
        self._point_resume_at_work_dir(runner)
        super().__init__(
            runner,
            dataloader,
            max_epochs=sum(s['max_epochs'] for s in self.stages),
            val_begin=1,
            val_interval=val_interval)
        self.stage_loaders: List[DataLoader] = []
        for spec in self.stages:
            if spec.get('dataloader'):
                if not isinstance(dataloader, dict):
                    raise TypeError('a stage dataloader override needs '
                                    'train_dataloader given as a config')
                loader = runner.build_dataloader(
                    merge_cfg(dataloader, spec['dataloader']),
                    seed=runner.seed)
            else:
                loader = self.dataloader
            self.stage_loaders.append(loader)
        self.stage_starts = [0]
        for spec in self.stages:
            self.stage_starts.append(self.stage_starts[-1] +
                                     spec['max_epochs'])
        self._max_iters = sum(
            s['max_epochs'] * len(loader)
            for s, loader in zip(self.stages, self.stage_loaders))
        self._active: Optional[int] = None
        self._check_stage_inputs()
        if not any(isinstance(h, RNGStateHook) for h in runner.hooks):
            runner.register_hook(RNGStateHook())

    @staticmethod
    def _point_resume_at_work_dir(runner) -> None:
        """``--resume`` without ``load_from`` (mmseg's own train.py): make
        mmengine's auto-resume read this work dir's own checkpoint."""
        cfg = getattr(runner, 'cfg', None)
        if cfg is not None and cfg.get('resume') and not cfg.get('load_from'):
            resolve_resume_checkpoint(runner.work_dir)

    @staticmethod
    def _resolve_stages(stages: Sequence[dict]) -> List[dict]:
        if not stages:
            raise ValueError('train_cfg.stages is empty')
        resolved = []
        for i, given in enumerate(stages):
            stage = given.get('stage')
            if stage not in STAGE_DEFAULTS:
                raise ValueError(f'train_cfg.stages[{i}].stage must be 1, 2 '
                                 f'or 3, got {stage!r}')
            unknown = set(given) - set(STAGE_DEFAULTS[stage]) - {
                'stage', 'max_epochs', 'dataloader'}
            if unknown:
                raise ValueError(f'train_cfg.stages[{i}] has unknown keys '
                                 f'{sorted(unknown)}')
            spec = dict(STAGE_DEFAULTS[stage], **given)
            if int(spec.get('max_epochs', 0)) < 1:
                raise ValueError(f'train_cfg.stages[{i}].max_epochs must be '
                                 f">= 1, got {spec.get('max_epochs')!r}")
            if spec['schedule'] not in SCHEDULES:
                raise ValueError(f'train_cfg.stages[{i}].schedule must be '
                                 f"one of {SCHEDULES}, got {spec['schedule']!r}")
            if spec['start_from'] not in START_FROM:
                raise ValueError(f'train_cfg.stages[{i}].start_from must be '
                                 f"one of {START_FROM}, got "
                                 f"{spec['start_from']!r}")
            resolved.append(spec)
        return resolved

    # ------------------------------------------------------------------
    @property
    def segmentor(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def stage_index(self, epoch: int) -> int:
        """Index into ``stages`` of the stage that owns global ``epoch``."""
        for i in range(len(self.stages)):
            if epoch < self.stage_starts[i + 1]:
                return i
        return len(self.stages) - 1

    def run(self) -> torch.nn.Module:
        self.runner.call_hook('before_train')
        with naming_full_disk(self.runner.work_dir):
            self._check_val_split()
            if self._epoch == 0:
                self._start_run()
            else:
                self._check_resumed_run()
            while self._epoch < self._max_epochs and not self.stop_training:
                index = self.stage_index(self._epoch)
                if index != self._active:
                    self._enter_stage(
                        index, fresh=self._epoch == self.stage_starts[index])
                self._set_epoch_lr(index)
                self.run_epoch()
                if self._should_validate(index):
                    self._validate(index)
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_iter(self, idx, data_batch) -> None:
        hub = self.runner.message_hub
        hub.update_scalar('train/stage', self.stages[self._active]['stage'])
        hub.update_scalar('train/stage_lr', self._stage_lr)
        super().run_iter(idx, data_batch)

    # ------------------------------------------------------------------
    def _enter_stage(self, index: int, *, fresh: bool) -> None:
        spec = self.stages[index]
        segmentor = self.segmentor
        if fresh:
            self._load_start_weights(index)
            self.runner.optim_wrapper.optimizer.state.clear()
        segmentor.set_stage(losses=spec['losses'], mask_eps=spec['mask_eps'],
                            joint=spec['joint'])
        self.dataloader = self.stage_loaders[index]
        # the previous stage's loss terms would otherwise stay in every log line
        scalars = self.runner.message_hub.log_scalars
        for key in [k for k in scalars if k.startswith('train/')
                    and k not in ('train/time', 'train/data_time')]:
            scalars.pop(key)
        groups = [g.get('name') for g in
                  self.runner.optim_wrapper.optimizer.param_groups]
        missing = set(spec['lr']) - set(groups)
        if missing:
            raise ValueError(
                f"stage {spec['stage']} sets lr for {sorted(missing)} but the "
                f'optimizer has param groups {groups}; use '
                "optim_wrapper.constructor='StageParamGroupsConstructor'")
        self._active = index
        print_log(
            f"SemPLeS stage {spec['stage']} ({spec['name']}): epochs "
            f'{self.stage_starts[index] + 1}-{self.stage_starts[index + 1]}'
            f" of {self._max_epochs}, losses {list(spec['losses'])}, "
            f"mask eps {spec['mask_eps']}, lr {spec['lr']}, batch "
            f'{self.dataloader.batch_size}'
            f"{'' if fresh else ' (resumed)'}",
            logger='current')

    def _set_epoch_lr(self, index: int) -> None:
        """Cosine (SemPLeS) or poly 0.9 (CLIMS) to 0 over the stage, stepped
        per epoch, no warm-up; under ``auto_scale_lr`` the stage's rates are
        scaled by its own total batch (``stage_batch_scale``)."""
        spec = self.stages[index]
        progress = (self._epoch - self.stage_starts[index]) / spec['max_epochs']
        scale = self.stage_batch_scale(index)
        factor = lr_factor(spec['schedule'], progress) * scale
        for group in self.runner.optim_wrapper.optimizer.param_groups:
            group['lr'] = spec['lr'].get(group.get('name'), 0.0) * factor
        # mmengine logs the first group's lr; log the trained group's too
        self._stage_lr = max(spec['lr'].values()) * factor
        if self._epoch == self.stage_starts[index] and scale != 1.0:
            effective = {k: v * scale for k, v in spec['lr'].items()}
            print_log(
                f"stage {spec['stage']}: auto_scale_lr: lr {spec['lr']} x "
                f'{scale:g} (total batch / base_batch_size) = {effective}',
                logger='current')

    def stage_batch_scale(self, index: int) -> float:
        """mmengine's linear scaling rule applied per stage: (world size x
        this stage's batch per GPU) / ``auto_scale_lr.base_batch_size`` when
        ``auto_scale_lr.enable`` (``--auto-scale-lr``), else 1."""
        auto_scale_lr = self.runner.auto_scale_lr
        if not auto_scale_lr or not auto_scale_lr.get('enable', False):
            return 1.0
        if not auto_scale_lr.get('base_batch_size'):
            raise ValueError('auto_scale_lr.enable is set but auto_scale_lr '
                             f'has no base_batch_size: {auto_scale_lr}')
        total = self.runner.world_size * self.stage_loaders[index].batch_size
        return total / auto_scale_lr['base_batch_size']

    def _stage_selected(self, spec: dict) -> bool:
        """Whether the stage gets a ``best_stage{N}.pth``: a validated stage
        with a validation loop, or any validated stage under ``'last'``."""
        return spec['validate'] and (self.selection == 'last'
                                     or self.runner.val_loop is not None)

    def _should_validate(self, index: int) -> bool:
        spec = self.stages[index]
        if not self._stage_selected(spec):
            return False
        if self.selection == 'last':  # only the stage's last epoch counts
            return self._epoch == self.stage_starts[index + 1]
        done = self._epoch - self.stage_starts[index]
        return (done % self.val_interval == 0
                or self._epoch == self.stage_starts[index + 1])

    def _is_better(self, score: float, best: Optional[float]) -> bool:
        if best is None:
            return True
        return score > best if self.rule == 'greater' else score < best

    def _validate(self, index: int) -> None:
        """Validate (or, under ``'last'``, take the stage's last epoch) and
        keep ``best_stage{N}.pth``; then record that this epoch is done."""
        stage = self.stages[index]['stage']
        name = self.best_names[index]
        key = 'semples_' + osp.splitext(name)[0]
        hub = self.runner.message_hub
        if self.selection == 'last':
            score = None
            self._save_best(name)
            print_log(
                f"stage {stage}: selection='last': epoch {self._epoch} (the "
                f"stage's last) saved as {name}, no validation",
                logger='current')
        else:
            metrics = self.runner.val_loop.run()
            if self.best_metric not in metrics:
                raise KeyError(
                    f'best_metric {self.best_metric!r} is not among the '
                    f'validation metrics {sorted(metrics)} (selection='
                    f'{self.selection!r})')
            score = float(metrics[self.best_metric])
            if self._is_better(score, hub.get_info(key)):
                hub.update_info(key, score)
                self._save_best(name)
                print_log(
                    f'stage {stage}: best {self.best_metric} {score:.4f} '
                    f'({"lower" if self.rule == "less" else "higher"} is '
                    f'better) at epoch {self._epoch}, saved {name}',
                    logger='current')
        if self.runner.rank == 0:
            bests = {
                'semples_' + osp.splitext(n)[0]:
                hub.get_info('semples_' + osp.splitext(n)[0])
                for n in self.best_names
            }
            write_json_atomically(
                dict(epoch=self._epoch, stage=stage,
                     selection=self.selection,
                     metric=self.best_metric if score is not None else None,
                     score=score, bests=bests),
                osp.join(self.runner.work_dir, VALIDATION_FILE))
        # the other ranks read best_stage{N}.pth at the next stage's start
        barrier()

    def _save_best(self, name: str) -> None:
        """``runner.save_checkpoint`` to a temporary name, then renamed."""
        if self.runner.rank != 0:
            return
        with atomic_path(osp.join(self.runner.work_dir, name)) as tmp:
            self.runner.save_checkpoint(
                osp.dirname(tmp),
                osp.basename(tmp),
                save_optimizer=False,
                save_param_scheduler=False)

    # ------------------------------------------------------------------
    # run start / resume
    def _schedule_signature(self) -> List[dict]:
        """What a resumed run must share with the run it continues."""
        out = []
        for spec in self.stages:
            spec = dict(spec)
            loader = {k: v for k, v in (spec.pop('dataloader', None)
                                        or {}).items()
                      if k not in WORKER_KEYS}
            out.append(json.loads(json.dumps(
                dict(spec, dataloader=loader), sort_keys=True, default=str)))
        return out

    def _selection_signature(self) -> dict:
        return dict(selection=self.selection, best_metric=self.best_metric)

    def _start_run(self) -> None:
        """Epoch 0: record the schedule, write this run's initial CAM weights."""
        hub = self.runner.message_hub
        hub.update_info(STAGES_INFO_KEY, self._schedule_signature())
        hub.update_info(SELECTION_INFO_KEY, self._selection_signature())
        if self.cam_init_checkpoint is None:
            path = osp.join(self.runner.work_dir, CAM_INIT_FILE)
            state = self._cam_state()
            cam_net = self.segmentor.cam_net
            source = (cam_net.pretrained_checkpoint() if hasattr(
                cam_net, 'pretrained_checkpoint') else None)
            source = self.runner.cfg.get('load_from') or source
            if self.runner.rank == 0:
                fingerprint = write_cam_init(path, state, source)
            else:
                fingerprint = tensor_fingerprint(state)
            hub.update_info(FINGERPRINT_INFO_KEY, fingerprint)
            barrier()

    def _check_resumed_run(self) -> None:
        """A resumed run: same schedule, this run's files; then the
        validation the interrupted run may not have finished."""
        hub = self.runner.message_hub
        recorded = hub.get_info(STAGES_INFO_KEY)
        current = self._schedule_signature()
        if recorded is None:
            print_log('the resumed checkpoint does not record its stage '
                      'schedule (written by an older version): it is not '
                      'checked against train_cfg.stages', logger='current',
                      level=logging.WARNING)
        elif recorded != current:
            diffs = []
            for i in range(max(len(recorded), len(current))):
                old = recorded[i] if i < len(recorded) else None
                new = current[i] if i < len(current) else None
                if old != new:
                    keys = sorted(k for k in set(old or {}) | set(new or {})
                                  if (old or {}).get(k) != (new or {}).get(k))
                    diffs.append(f'stages[{i}] {keys}: checkpoint '
                                 f'{_pick(old, keys)} vs config '
                                 f'{_pick(new, keys)}')
            raise ValueError(
                'cannot resume: train_cfg.stages differs from the schedule '
                'of the run that wrote the checkpoint (' + '; '.join(diffs) +
                '). Resume with the original config, or start a new run in '
                'another work dir (load_from=CHECKPOINT)')
        hub.update_info(STAGES_INFO_KEY, current)
        selection = hub.get_info(SELECTION_INFO_KEY)
        if selection is not None and selection != self._selection_signature():
            raise ValueError(
                f'cannot resume: the run that wrote the checkpoint chose its '
                f'best checkpoints by {selection}, the config by '
                f'{self._selection_signature()} (train_cfg.selection / '
                'best_metric); resume with the original choice, or start a '
                'new run in another work dir')
        hub.update_info(SELECTION_INFO_KEY, self._selection_signature())
        # first the selection the interrupted run may not have finished: it
        # may write the best checkpoint the next stage starts from
        self._redo_unfinished_validation()
        # the start weights of stages still to come must be at hand now
        for index in range(len(self.stages)):
            if self.stage_starts[index] < self._epoch:
                continue
            spec = self.stages[index]
            if spec['start_from'] == 'initial' and \
                    self.cam_init_checkpoint is None:
                read_cam_init(
                    osp.join(self.runner.work_dir, CAM_INIT_FILE),
                    hub.get_info(FINGERPRINT_INFO_KEY))
            if spec['start_from'] == 'previous_best' and index > 0 and \
                    self.stage_starts[index] == self._epoch:
                self._previous_best(index)  # raises if it should exist

    def _redo_unfinished_validation(self) -> None:
        """The epoch checkpoint is written before that epoch's validation:
        validate again unless ``semples_last_validation.json`` says the
        interrupted run got through it (then take the best scores it
        recorded, which the epoch checkpoint predates)."""
        index = self.stage_index(self._epoch - 1)
        if not self._should_validate(index):
            return
        record = [None]
        if self.runner.rank == 0:
            path = osp.join(self.runner.work_dir, VALIDATION_FILE)
            try:
                with open(path) as f:
                    record[0] = json.load(f)
            except (OSError, ValueError):
                record[0] = None
        broadcast_object_list(record)
        if record[0] and record[0].get('epoch') == self._epoch:
            # done: the best scores it set are not in the epoch checkpoint
            for key, value in (record[0].get('bests') or {}).items():
                if value is not None:
                    self.runner.message_hub.update_info(key, value)
            return
        if self.selection == 'last':
            print_log(f"epoch {self._epoch} (selection='last') was not "
                      'saved as its best checkpoint before the run stopped: '
                      'saving it now', logger='current',
                      level=logging.WARNING)
        else:
            print_log(f'epoch {self._epoch} was not validated before the run '
                      'stopped: validating it now', logger='current',
                      level=logging.WARNING)
        # the validated stage's losses and mask eps (a held-out loss is
        # that stage's objective); the next stage sets its own on entry
        spec = self.stages[index]
        self.segmentor.set_stage(losses=spec['losses'],
                                 mask_eps=spec['mask_eps'],
                                 joint=spec['joint'])
        self._validate(index)

    def _check_stage_inputs(self) -> None:
        """Every stage's inputs, checked before the first iteration: class
        counts of the stage datasets, the ``cam_init_checkpoint``, the
        prompts of a refinement stage without a prompt stage before it."""
        cam_net = self.segmentor.cam_net
        k = getattr(cam_net, 'num_classes', None)
        for spec, loader in zip(self.stages, self.stage_loaders):
            meta = getattr(loader.dataset, 'metainfo', {}) or {}
            classes = meta.get('classes')
            if k is not None and classes is not None and \
                    len(classes) - 1 != k:
                raise ValueError(
                    f"stage {spec['stage']}: its dataset has "
                    f'{len(classes) - 1} classes (+ background), the CAM '
                    f'network {k}')
            sampler = getattr(loader, 'sampler', None)
            if loader.num_workers > 0 and not isinstance(sampler,
                                                         SeededSampler):
                print_log(
                    f"stage {spec['stage']}: train sampler "
                    f'{type(sampler).__name__} with {loader.num_workers} '
                    'workers: --resume will not repeat the augmentation of '
                    "the uninterrupted run (use sampler=dict(type="
                    "'SeededSampler'))", logger='current',
                    level=logging.WARNING)
        if self.cam_init_checkpoint is not None:
            check_segmentor_state(
                cam_net.state_dict(), load_cam_state(self.cam_init_checkpoint),
                source=self.cam_init_checkpoint,
                owner='the CAM network (train_cfg.cam_init_checkpoint)')
        cfg = getattr(self.runner, 'cfg', None) or {}
        for index, spec in enumerate(self.stages):
            if 'refine' not in spec['losses']:
                continue
            # an earlier stage learned them, or this one does (joint)
            if any('prompt' in s['losses'] for s in self.stages[:index + 1]):
                break
            if cfg.get('resume'):
                break  # the resumed checkpoint carries the prompts
            load_from = cfg.get('load_from')
            keys = checkpoint_keys(load_from) if load_from else set()
            if not any(key.startswith('prompt_learner.') for key in keys):
                raise ValueError(
                    f"stage {spec['stage']} refines against the learned "
                    'background prompts, but no stage of this run learns '
                    'them and load_from '
                    f"{'is not set' if not load_from else load_from + ' has no prompt_learner.* weights'}"
                    ': set load_from to a checkpoint of a run that did '
                    'stage 2 (e.g. its epoch or best_stage1 checkpoint '
                    'after stage 2)')
            break

    def _check_val_split(self) -> None:
        """The validated split, before the first iteration: every image has
        its mask (the seed metric needs it) and is at least one patch of
        the CAM network at the smallest test scale. Only the protocol's
        selection reads masks: ``'loss'`` reads image-level labels,
        ``'last'`` does not validate."""
        if self.runner.val_loop is None or not any(
                s['validate'] for s in self.stages):
            return
        if self.selection == 'last':
            print_log("train_cfg.selection='last': the validation loop "
                      '(val_cfg) is not run; set val_dataloader, val_cfg '
                      'and val_evaluator to None to not build it either',
                      logger='current', level=logging.WARNING)
            return
        if self.selection != 'protocol':
            return
        dataset = self.runner.val_loop.dataloader.dataset
        if not hasattr(dataset, 'get_data_info'):
            return
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        no_mask = [d['img_path'] for d in infos
                   if d.get('seg_map_path', '') is None]
        if no_mask:
            raise FileNotFoundError(
                f'{len(no_mask)} image(s) of the validation split have no '
                f'mask, which the seed mIoU needs: {no_mask[:5]}')
        backbone = getattr(self.segmentor.cam_net, 'backbone', None)
        patch = getattr(backbone, 'patch_size', None)
        scales = self.segmentor.test_cfg.get('scales') or (1.0, )
        if patch is None:
            return
        small = [
            f"{d['img_path']} ({d['scan_shape'][0]} x {d['scan_shape'][1]})"
            for d in infos if 'scan_shape' in d
            and min(d['scan_shape']) * min(scales) < patch
        ]
        if small:
            raise ValueError(
                f'{len(small)} validation image(s) are smaller than one '
                f'{patch} x {patch} patch of the CAM network at test scale '
                f'{min(scales)}: {small[:5]}')

    # ------------------------------------------------------------------
    def _cam_state(self) -> Dict[str, torch.Tensor]:
        return {
            k: v.detach().cpu().clone()
            for k, v in self.segmentor.cam_net.state_dict().items()
        }

    def _previous_best(self, index: int) -> Optional[str]:
        """``best_stage{N}.pth`` of the stage before ``index``; None when that
        stage is not validated (nothing to pick from)."""
        previous = self.stages[index - 1]
        path = osp.join(self.runner.work_dir, self.best_names[index - 1])
        if not self._stage_selected(previous):
            return None
        if not osp.isfile(path):
            raise FileNotFoundError(
                f"stage {self.stages[index]['stage']} starts from the best "
                f"checkpoint of stage {previous['stage']}, {path}, which is "
                'missing (was it deleted or the work dir copied without it?)')
        return path

    def _load_start_weights(self, index: int) -> None:
        spec = self.stages[index]
        cam_net = self.segmentor.cam_net
        if spec['start_from'] == 'current':
            return
        if spec['start_from'] == 'initial':
            if self.cam_init_checkpoint is not None:
                path = self.cam_init_checkpoint
                state = load_cam_state(path)
            else:
                path = osp.join(self.runner.work_dir, CAM_INIT_FILE)
                state = read_cam_init(
                    path,
                    self.runner.message_hub.get_info(FINGERPRINT_INFO_KEY))
        else:
            path = self._previous_best(index) if index else None
            if path is None:
                print_log(
                    f"stage {spec['stage']}: the previous stage was not "
                    'validated (no best checkpoint to pick); starting from '
                    'the current weights',
                    logger='current')
                return
            state = load_cam_state(path)
        check_segmentor_state(cam_net.state_dict(), state, source=path,
                              owner='the CAM network')
        cam_net.load_state_dict(state, strict=False)
        print_log(f"stage {spec['stage']}: CAM network loaded from {path}",
                  logger='current')


def _pick(spec: Optional[dict], keys: Sequence[str]):
    return None if spec is None else {k: spec.get(k) for k in keys}


def checkpoint_keys(path: str) -> set:
    """The ``state_dict`` keys of a checkpoint file (memory-mapped read)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'load_from {path} does not exist')
    ckpt = torch.load(path, map_location='cpu', weights_only=False,
                      mmap=True)
    return set(ckpt.get('state_dict', ckpt))


def best_checkpoint_names(stages: Sequence[dict]) -> List[str]:
    """``best_stage{N}.pth`` per stage; the R-th listing (R >= 2) of the
    same stage number gets ``best_stage{N}_round{R}.pth``."""
    seen: Dict[int, int] = {}
    names = []
    for spec in stages:
        n = spec['stage']
        seen[n] = seen.get(n, 0) + 1
        suffix = '' if seen[n] == 1 else f'_round{seen[n]}'
        names.append(f'best_stage{n}{suffix}.pth')
    return names


def load_cam_state(path: str) -> Dict[str, torch.Tensor]:
    """The CAM-network state dict in ``path``.

    Accepts a bare CAM-network state dict or an mmengine checkpoint whose
    ``state_dict`` holds ``cam_net.*`` keys.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM checkpoint {path} does not exist')
    try:
        ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except Exception as exc:
        raise ValueError(f'CAM checkpoint {path} cannot be read '
                         f'(half-written or not a checkpoint: {exc})') from exc
    state = ckpt.get('state_dict', ckpt)
    if any(k.startswith('cam_net.') for k in state):
        state = {
            k[len('cam_net.'):]: v
            for k, v in state.items() if k.startswith('cam_net.')
        }
    return state
