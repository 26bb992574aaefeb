"""Seed statistics by hand, finished-phase reuse, the progress ETA."""
import math

import pytest

from cooccur_demo.phase_records import (Progress, fingerprint, finished,
                                 format_seconds, write_record)
from cooccur_demo.seed_stats import mean_std, paired_difference


def test_mean_std_and_paired_t_interval_by_hand():
    assert mean_std([1., 2., 4.]) == dict(mean=7 / 3, std=pytest.approx(
        math.sqrt(((1 - 7 / 3)**2 + (2 - 7 / 3)**2 + (4 - 7 / 3)**2) / 2)),
        n=3)
    # diffs 1, 2, 3: mean 2, sd 1, t_{0.975, 2} = 4.302653
    d = paired_difference([11., 12., 13.], [10., 10., 10.])
    assert d['diffs'] == [1., 2., 3.] and d['mean'] == 2. and d['std'] == 1.
    half = 4.302653 / math.sqrt(3)
    assert (d['low'], d['high']) == pytest.approx((2 - half, 2 + half),
                                                  abs=1e-5)
    # two seeds: t_{0.975, 1} = 12.706205
    d = paired_difference([1., 4.], [0., 1.])
    assert d['mean'] == 2. and d['std'] == pytest.approx(math.sqrt(2))
    assert d['high'] == pytest.approx(2 + 12.706205 * 1., abs=1e-5)
    one = paired_difference([3.], [1.])
    assert one['mean'] == 2. and math.isnan(one['low'])
    with pytest.raises(ValueError, match='equal-length'):
        paired_difference([1., 2.], [1.])


def test_phase_record_is_reused_only_with_same_key_and_outputs(tmp_path):
    out = tmp_path / 'a.pth'
    key = fingerprint('run', dict(seed=0))
    assert key != fingerprint('run', dict(seed=1))
    assert not finished(str(tmp_path), key, [str(out)])
    write_record(str(tmp_path), key, seconds=1.0)
    assert not finished(str(tmp_path), key, [str(out)])  # output missing
    out.write_bytes(b'x')
    assert finished(str(tmp_path), key, [str(out)])
    assert not finished(str(tmp_path), fingerprint('run', dict(seed=1)),
                        [str(out)])


def test_progress_eta_rescales_estimates_by_measured_speed(monkeypatch):
    clock = [0.]
    monkeypatch.setattr('cooccur_demo.phase_records.time.time',
                        lambda: clock[0])
    lines = []
    p = Progress(dict(a=10., b=10., c=20.), log=lines.append)
    p.begin('a')
    clock[0] = 30.  # a took 30 s for an estimate of 10: speed 3 s per unit
    p.end('a')
    p.begin('b')
    assert p.eta() == 90.  # (10 + 20) * 3
    p.end('b', reused=True)  # reused phases cost nothing, speed unchanged
    assert p.eta() == 60.
    assert lines[1] == '[2/3] b: elapsed 30 s, ETA 1 min 30 s'
    assert '| b | reused |' in p.summary()
    assert format_seconds(3725) == '1 h 02 min'
    monkeypatch.setattr('cooccur_demo.phase_records.os.getloadavg',
                        lambda: (1.25, 2.0, 3.0))
    monkeypatch.setattr('cooccur_demo.phase_records.os.cpu_count', lambda: 2)
    head, table = p.timing_report().lstrip('\n').split('\n', 1)
    assert head.endswith(', 2 CPUs, load average 1.2, 2.0, 3.0):')
    assert table == p.summary()


def test_config_fingerprint_ignores_worker_settings_only(tmp_path):
    from cooccur_demo.phase_records import config_fingerprint
    config = tmp_path / 'cfg.py'
    config.write_text(
        "train_dataloader = dict(batch_size=2, num_workers=2, "
        "persistent_workers=True, pin_memory=True, dataset=dict(type='A'))\n"
        "train_cfg = dict(stages=[dict(stage=1, dataloader=dict("
        "num_workers=4, batch_size=3))])\n")
    key = config_fingerprint(str(config))
    # the worker settings of any loader, stage loaders included: same key
    assert config_fingerprint(str(config), [
        'train_dataloader.num_workers=8',
        'train_dataloader.pin_memory=False',
        'train_dataloader.persistent_workers=False',
        'train_dataloader.prefetch_factor=4']) == key
    assert config_fingerprint(str(config), [
        'train_cfg.stages.0.dataloader.num_workers=0']) == key
    # anything else: another key
    assert config_fingerprint(str(config),
                              ['train_dataloader.batch_size=4']) != key
    assert config_fingerprint(str(config),
                              ['train_dataloader.dataset.type=B']) != key
