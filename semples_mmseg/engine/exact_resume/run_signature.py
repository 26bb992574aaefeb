"""What a resumed run must share with the run it continues.

At epoch 0 the stage schedule and the checkpoint choice go into the message
hub, so into every checkpoint of the run; a resumed run compares them with
its config and stops, naming the differences, before it trains.
"""
import json
import logging
from typing import List, Optional, Sequence

from mmengine.logging import print_log

STAGES_INFO_KEY = 'semples_stages'
CHOICE_INFO_KEY = 'semples_checkpoint_choice'
#: dataloader settings that may change between a run and its resume
WORKER_KEYS = ('num_workers', 'persistent_workers', 'pin_memory',
               'prefetch_factor')


def schedule_signature(stages: Sequence) -> List[dict]:
    """The stage specs (dataclasses) as JSON values, worker settings left
    out of their dataloader overrides."""
    out = []
    for spec in stages:
        fields = dict(vars(spec))
        fields['dataloader'] = {k: v for k, v in (fields.get('dataloader')
                                                  or {}).items()
                                if k not in WORKER_KEYS}
        out.append(json.loads(json.dumps(fields, sort_keys=True,
                                         default=str)))
    return out


def _differences(recorded: List[dict], current: List[dict]) -> List[str]:
    diffs = []
    for i in range(max(len(recorded), len(current))):
        old = recorded[i] if i < len(recorded) else {}
        new = current[i] if i < len(current) else {}
        keys = sorted(k for k in set(old) | set(new)
                      if old.get(k) != new.get(k))
        if keys:
            diffs.append(f'stages[{i}] {keys}: checkpoint '
                         f'{ {k: old.get(k) for k in keys} } vs config '
                         f'{ {k: new.get(k) for k in keys} }')
    return diffs


def record_run(hub, stages: Sequence, choice: dict) -> None:
    """Record the schedule and the checkpoint choice in ``hub``."""
    hub.update_info(STAGES_INFO_KEY, schedule_signature(stages))
    hub.update_info(CHOICE_INFO_KEY, dict(choice))


def check_resumed_run(hub, stages: Sequence, choice: dict) -> None:
    """Raise ``ValueError`` when the resumed checkpoint recorded another
    schedule or checkpoint choice; else record the current ones."""
    recorded: Optional[list] = hub.get_info(STAGES_INFO_KEY)
    if recorded is None:
        print_log('the resumed checkpoint records no stage schedule: it is '
                  'not checked against train_cfg.stages', logger='current',
                  level=logging.WARNING)
    else:
        diffs = _differences(recorded, schedule_signature(stages))
        if diffs:
            raise ValueError('cannot resume: train_cfg.stages differs from '
                             'the checkpoint\'s run: ' + '; '.join(diffs))
    old_choice = hub.get_info(CHOICE_INFO_KEY)
    if old_choice is not None and old_choice != dict(choice):
        raise ValueError(f'cannot resume: the checkpoint\'s run chose by '
                         f'{old_choice}, the config by {dict(choice)}')
    record_run(hub, stages, choice)
