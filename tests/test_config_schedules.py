"""Every config's lr schedule spans its training loop.

mmengine schedulers stop where their ``end`` says: a config that shortens an
inherited schedule (Segmenter: 80k iterations on mmseg's 160k PolyLR) but
keeps the inherited ``end`` decays the lr only part of the way. Each
config's schedulers must tile the loop exactly: the first begins at 0, each
begins where the previous ends, the last ends at ``max_iters`` /
``max_epochs``, in the loop's unit. A config that really means to stop the
schedule early says so with ``schedule_ends_before_training = True`` (then
the last ``end`` must lie before the loop's end). SemPLeS configs have no
mmengine scheduler: ``SemPLeSTrainLoop`` sets each stage's lr itself.
"""
from pathlib import Path
from typing import List

import pytest
from mmengine.config import Config

import semples_mmseg  # noqa: F401  ('mmseg::' bases on the onedl forks)

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
INF = float('inf')


def schedule_span_errors(cfg: dict) -> List[str]:
    """What is wrong with ``cfg``'s param_scheduler against its train_cfg."""
    loop = cfg['train_cfg']
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    if loop.get('type') == 'SemPLeSTrainLoop':
        return [] if not schedulers else [
            f'SemPLeSTrainLoop sets the stage lrs itself, but param_scheduler '
            f'has {[s["type"] for s in schedulers]}']
    if 'max_iters' in loop:
        length, by_epoch, unit = loop['max_iters'], False, 'max_iters'
    else:
        length, by_epoch, unit = loop['max_epochs'], True, 'max_epochs'
    if not schedulers:
        return ['no param_scheduler: the lr stays constant']
    errors = []
    spans = []
    for s in schedulers:
        if s.get('by_epoch', True) != by_epoch:
            errors.append(f"{s['type']} has by_epoch={s.get('by_epoch', True)}"
                          f' but the loop counts {unit}')
        spans.append((s.get('begin', 0), s.get('end', INF), s['type']))
    spans.sort()
    if spans[0][0] != 0:
        errors.append(f'the first scheduler begins at {spans[0][0]}, not 0')
    for (_, end, name), (begin, _, nxt) in zip(spans, spans[1:]):
        if begin != end:
            errors.append(f'{name} ends at {end} but {nxt} begins at {begin}')
    last_end = spans[-1][1]
    if cfg.get('schedule_ends_before_training', False):
        if not last_end < length:
            errors.append('schedule_ends_before_training is set but the '
                          f'schedule ends at {last_end} >= {unit} {length}')
    elif last_end not in (length, INF):
        errors.append(f'{spans[-1][2]} ends at {last_end} but training runs '
                      f'{unit}={length}')
    return errors


def test_there_are_configs_to_check():
    assert CONFIGS


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[str(p.relative_to(REPO)) for p in CONFIGS])
def test_every_schedule_spans_its_training(path):
    cfg = Config.fromfile(str(path)).to_dict()
    assert schedule_span_errors(cfg) == []


def test_the_check_catches_schedules_that_stop_short_or_gap():
    # a Segmenter config that trains 80k iterations on mmseg's 160k PolyLR
    old_segmenter = dict(
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=80000),
        param_scheduler=[dict(type='PolyLR', begin=0, end=160000,
                              by_epoch=False)])
    assert schedule_span_errors(old_segmenter) == [
        'PolyLR ends at 160000 but training runs max_iters=80000']
    warmup_gap = dict(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=60),
        param_scheduler=[dict(type='LinearLR', begin=0, end=5),
                         dict(type='CosineAnnealingLR', begin=6, end=60)])
    assert schedule_span_errors(warmup_gap) == [
        'LinearLR ends at 5 but CosineAnnealingLR begins at 6']
    wrong_unit = dict(
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=100),
        param_scheduler=[dict(type='PolyLR', begin=0, end=100)])
    assert schedule_span_errors(wrong_unit) == [
        'PolyLR has by_epoch=True but the loop counts max_iters']
    fighting = dict(train_cfg=dict(type='SemPLeSTrainLoop', stages=[]),
                    param_scheduler=[dict(type='PolyLR')])
    assert len(schedule_span_errors(fighting)) == 1
    # an explicit early end is accepted only when the schedule does end early
    early = dict(old_segmenter, schedule_ends_before_training=True)
    assert schedule_span_errors(early) == [
        'schedule_ends_before_training is set but the schedule ends at '
        '160000 >= max_iters 80000']
    early['param_scheduler'][0]['end'] = 40000
    assert schedule_span_errors(early) == []
