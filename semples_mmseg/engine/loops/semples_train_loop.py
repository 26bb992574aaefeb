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
``best_stage{N}.pth`` in the work dir, chosen by ``best_metric``; a stage
number listed again (rounds of stages 2 -> 3, the paper's Table 6) writes
``best_stage{N}_round{R}.pth`` for its R-th occurrence, and
``'previous_best'`` reads the file of the stage listed just before.
"""
import copy
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner import CheckpointLoader
from torch.utils.data import DataLoader

from mmseg.registry import LOOPS

STAGE_DEFAULTS = {
    1: dict(name='matching', losses=('match', ), mask_eps=0.1,
            lr=dict(cam_net=6.4e-5), validate=True, start_from='current',
            schedule='cosine', joint=False),
    2: dict(name='prompts', losses=('prompt', ), mask_eps=1e-4,
            lr=dict(prompt_learner=2.5e-2), validate=False,
            start_from='previous_best', schedule='cosine', joint=False),
    3: dict(name='refinement', losses=('match', 'refine'), mask_eps=0.1,
            lr=dict(cam_net=6.4e-5), validate=True, start_from='initial',
            schedule='cosine', joint=False),
}
START_FROM = ('current', 'previous_best', 'initial')
SCHEDULES = ('cosine', 'poly')
CAM_INIT_FILE = 'semples_cam_init.pth'


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
class SemPLeSTrainLoop(EpochBasedTrainLoop):
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
        best_metric: the metric key that picks each stage's best checkpoint.
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
                 best_metric: str = 'mIoU',
                 cam_init_checkpoint: Optional[str] = None) -> None:
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
        self.best_metric = best_metric
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
        if self._epoch == 0:
            self._save_cam_init()
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
        per epoch, no warm-up."""
        spec = self.stages[index]
        progress = (self._epoch - self.stage_starts[index]) / spec['max_epochs']
        factor = lr_factor(spec['schedule'], progress)
        for group in self.runner.optim_wrapper.optimizer.param_groups:
            group['lr'] = spec['lr'].get(group.get('name'), 0.0) * factor
        # mmengine logs the first group's lr; log the trained group's too
        self._stage_lr = max(spec['lr'].values()) * factor

    def _should_validate(self, index: int) -> bool:
        spec = self.stages[index]
        if not spec['validate'] or self.runner.val_loop is None:
            return False
        done = self._epoch - self.stage_starts[index]
        return (done % self.val_interval == 0
                or self._epoch == self.stage_starts[index + 1])

    def _validate(self, index: int) -> None:
        metrics = self.runner.val_loop.run()
        if self.best_metric not in metrics:
            raise KeyError(f'best_metric {self.best_metric!r} is not among '
                           f'the validation metrics {sorted(metrics)}')
        score = float(metrics[self.best_metric])
        stage = self.stages[index]['stage']
        name = self.best_names[index]
        key = 'semples_' + osp.splitext(name)[0]
        hub = self.runner.message_hub
        best = hub.get_info(key)
        if best is None or score > best:
            hub.update_info(key, score)
            self.runner.save_checkpoint(
                self.runner.work_dir,
                name,
                save_optimizer=False,
                save_param_scheduler=False)
            print_log(
                f'stage {stage}: best {self.best_metric} {score:.4f} at '
                f'epoch {self._epoch}, saved {name}',
                logger='current')

    # ------------------------------------------------------------------
    def _cam_state(self) -> Dict[str, torch.Tensor]:
        return {
            k: v.detach().cpu().clone()
            for k, v in self.segmentor.cam_net.state_dict().items()
        }

    def _save_cam_init(self) -> None:
        path = osp.join(self.runner.work_dir, CAM_INIT_FILE)
        if self.runner.rank == 0 and not osp.exists(path):
            torch.save(self._cam_state(), path)

    def _load_start_weights(self, index: int) -> None:
        spec = self.stages[index]
        cam_net = self.segmentor.cam_net
        if spec['start_from'] == 'current':
            return
        if spec['start_from'] == 'initial':
            path = self.cam_init_checkpoint or osp.join(
                self.runner.work_dir, CAM_INIT_FILE)
        else:
            if index == 0:
                print_log(
                    f"stage {spec['stage']} starts the run: no previous "
                    'best checkpoint; starting from the current weights',
                    logger='current')
                return
            previous = self.best_names[index - 1]
            path = osp.join(self.runner.work_dir, previous)
            if not osp.exists(path):
                print_log(
                    f"stage {spec['stage']}: no {previous} "
                    '(the previous stage was not validated); starting from '
                    'the current weights',
                    logger='current')
                return
        cam_net.load_state_dict(load_cam_state(path), strict=True)
        print_log(f"stage {spec['stage']}: CAM network loaded from {path}",
                  logger='current')


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
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    if any(k.startswith('cam_net.') for k in state):
        state = {
            k[len('cam_net.'):]: v
            for k, v in state.items() if k.startswith('cam_net.')
        }
    return state
