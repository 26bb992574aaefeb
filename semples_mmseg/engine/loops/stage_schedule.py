"""The stages of a SemPLeS run laid end to end over its epochs
(METHOD section 5): each stage's settings with its defaults, which stage
owns an epoch, and the per-epoch learning-rate factor."""
import math
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

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
SCHEDULES = ('cosine', 'poly')


@dataclass(frozen=True)
class StageSpec:
    """One entry of ``train_cfg.stages`` with its stage's defaults filled in.

    ``dataloader`` is a partial config merged over ``train_dataloader``;
    ``start_from`` is ``'current'``, ``'previous_best'`` or ``'initial'``;
    ``joint`` runs stage 2's ``'prompt'`` together with other losses.
    """
    stage: int
    max_epochs: int
    name: str
    losses: Tuple[str, ...]
    mask_eps: float
    lr: Dict[str, float]
    validate: bool
    start_from: str
    schedule: str
    joint: bool
    dataloader: Optional[dict] = None

    @classmethod
    def from_cfg(cls, given: dict, where: str) -> 'StageSpec':
        """``given`` over its stage's ``STAGE_DEFAULTS``; ``where`` names it
        in errors (``'train_cfg.stages[1]'``)."""
        stage = given.get('stage')
        if stage not in STAGE_DEFAULTS:
            raise ValueError(f'{where}.stage must be 1, 2 or 3, got '
                             f'{stage!r}')
        unknown = set(given) - set(STAGE_DEFAULTS[stage]) - {
            'stage', 'max_epochs', 'dataloader'}
        if unknown:
            raise ValueError(f'{where} has unknown keys {sorted(unknown)}')
        spec = dict(STAGE_DEFAULTS[stage], **given)
        if int(spec.get('max_epochs', 0)) < 1:
            raise ValueError(f'{where}.max_epochs must be >= 1, got '
                             f"{spec.get('max_epochs')!r}")
        for key, allowed in (('schedule', SCHEDULES),
                             ('start_from', START_FROM)):
            if spec[key] not in allowed:
                raise ValueError(f'{where}.{key} must be one of {allowed}, '
                                 f'got {spec[key]!r}')
        spec['losses'] = tuple(spec['losses'])
        spec['lr'] = dict(spec['lr'])
        return cls(**spec)


def lr_factor(schedule: str, progress: float) -> float:
    """Multiplier of the base lr after ``progress`` (0..1) of a stage:
    cosine (SemPLeS) or poly 0.9 (CLIMS) to 0, no warm-up."""
    if schedule == 'cosine':
        return 0.5 * (1 + math.cos(math.pi * progress))
    return (1 - progress)**0.9


def auto_scale_factor(auto_scale_lr: Optional[dict],
                      total_batch: int) -> float:
    """mmengine's linear scaling rule for one stage: its total batch /
    ``auto_scale_lr.base_batch_size`` when ``auto_scale_lr.enable``, else 1.
    """
    if not auto_scale_lr or not auto_scale_lr.get('enable', False):
        return 1.0
    if not auto_scale_lr.get('base_batch_size'):
        raise ValueError('auto_scale_lr.enable is set but auto_scale_lr '
                         f'has no base_batch_size: {auto_scale_lr}')
    return total_batch / auto_scale_lr['base_batch_size']


def best_checkpoint_names(stages: Sequence[StageSpec]) -> List[str]:
    """``best_stage{N}.pth`` per stage; the R-th listing (R >= 2) of the
    same stage number gets ``best_stage{N}_round{R}.pth``."""
    seen: Dict[int, int] = {}
    names = []
    for spec in stages:
        seen[spec.stage] = seen.get(spec.stage, 0) + 1
        suffix = '' if seen[spec.stage] == 1 else f'_round{seen[spec.stage]}'
        names.append(f'best_stage{spec.stage}{suffix}.pth')
    return names


class StageSchedule:
    """``train_cfg.stages`` resolved and laid end to end: stage i owns the
    global epochs ``[starts[i], starts[i + 1])``."""

    def __init__(self, stages: Sequence[dict]) -> None:
        if not stages:
            raise ValueError('train_cfg.stages is empty')
        self.stages = [StageSpec.from_cfg(s, f'train_cfg.stages[{i}]')
                       for i, s in enumerate(stages)]
        self.starts = [0]
        for spec in self.stages:
            self.starts.append(self.starts[-1] + spec.max_epochs)
        self.best_names = best_checkpoint_names(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __getitem__(self, index: int) -> StageSpec:
        return self.stages[index]

    def __iter__(self) -> Iterator[StageSpec]:
        return iter(self.stages)

    @property
    def max_epochs(self) -> int:
        return self.starts[-1]

    def index_of(self, epoch: int) -> int:
        """Index of the stage that owns global ``epoch`` (0-based)."""
        return next((i for i in range(len(self.stages))
                     if epoch < self.starts[i + 1]), len(self.stages) - 1)

    def group_lrs(self, index: int, epoch: int,
                  scale: float = 1.0) -> Dict[str, float]:
        """Param group name -> lr at global ``epoch`` of stage ``index``:
        the stage's rates x ``scale`` x its schedule's factor (stepped per
        epoch, no warm-up); groups the stage does not list train at 0."""
        spec = self.stages[index]
        progress = (epoch - self.starts[index]) / spec.max_epochs
        factor = lr_factor(spec.schedule, progress) * scale
        return {name: lr * factor for name, lr in spec.lr.items()}
