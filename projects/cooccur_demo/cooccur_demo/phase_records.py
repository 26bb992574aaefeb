"""Finished-phase records and one overall progress line with an ETA.

A phase (write the world, train the toy CLIP, train a config for a seed,
evaluate) writes ``{folder}/phase.json`` once it has finished, holding its
*fingerprint*: a digest of everything its result depends on (the resolved
config, the seed, the fingerprints of the phases it reads from). A rerun
with the same fingerprint and the phase's outputs present reuses the result
instead of recomputing it; anything else runs the phase again.

A training phase also writes ``{folder}/phase_started.json`` (its
fingerprint) before it trains: a rerun of an interrupted phase with the same
fingerprint continues its training from the newest checkpoint
(``--resume``) instead of starting afresh.
"""
import hashlib
import json
import os
import os.path as osp
import re
import time
from typing import Callable, Dict, List, Optional, Sequence

RECORD = 'phase.json'
STARTED = 'phase_started.json'


def fingerprint(*parts) -> str:
    """16 hex digits of the SHA-256 of ``parts`` as canonical JSON."""
    text = json.dumps(parts, sort_keys=True, default=str,
                      separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def without_worker_settings(value):
    """``value`` with every data loader's worker settings dropped
    (``WORKER_KEYS``: they do not change a run's result, since the train
    loops draw their randomness the same with and without workers)."""
    from semples_mmseg.engine.exact_resume.run_signature import WORKER_KEYS
    if isinstance(value, dict):
        return {k: without_worker_settings(v) for k, v in value.items()
                if k not in WORKER_KEYS}
    if isinstance(value, (list, tuple)):
        return [without_worker_settings(v) for v in value]
    return value


def config_fingerprint(config: str, options: Sequence[str] = ()) -> str:
    """Fingerprint of a config file as mmengine resolves it (its bases
    included) with ``--cfg-options`` style ``options`` merged, its data
    loaders' worker settings left out (a run done with 8 workers is reused
    with 2)."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if options:
        parsed = {}
        for item in options:
            key, value = item.split('=', 1)
            parsed[key] = DictAction._parse_iterable(value)
        cfg.merge_from_dict(parsed)
    return fingerprint(without_worker_settings(cfg.to_dict()))


def read_record(folder: str) -> Optional[dict]:
    path = osp.join(folder, RECORD)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def finished(folder: str, key: str, outputs: Sequence[str] = ()) -> bool:
    """True when ``folder`` holds a record of ``key`` and every output."""
    record = read_record(folder)
    return (record is not None and record.get('fingerprint') == key
            and all(osp.exists(p) for p in outputs))


def started(folder: str, key: str) -> bool:
    """True when ``folder`` holds an unfinished training of ``key``: its
    start was recorded (``mark_started``) and it has saved a checkpoint
    since (older checkpoints are another training's)."""
    from semples_mmseg.engine.exact_resume.resume_checkpoint import \
        newest_numbered_checkpoint
    path = osp.join(folder, STARTED)
    if not osp.isfile(path):
        return False
    try:
        with open(path) as f:
            same = json.load(f).get('fingerprint') == key
    except (OSError, ValueError):
        return False
    newest = newest_numbered_checkpoint(folder)
    return (same and newest is not None
            and osp.getmtime(newest) >= osp.getmtime(path))


#: the files of a training's checkpoints in its work dir
CHECKPOINT_FILE = re.compile(r'^((epoch|iter)_\d+|best_.*)\.pth$')


def mark_started(folder: str, key: str) -> List[str]:
    """Record that the training of ``key`` in ``folder`` starts afresh:
    the checkpoints another training left there (``epoch_N`` / ``iter_N``
    / ``best_*.pth``, ``last_checkpoint``) are removed, so that neither
    this training's resume nor the choice of its best checkpoint can pick
    them up. Returns the names removed."""
    os.makedirs(folder, exist_ok=True)
    removed = sorted(name for name in os.listdir(folder)
                     if CHECKPOINT_FILE.match(name)
                     or name == 'last_checkpoint')
    for name in removed:
        os.remove(osp.join(folder, name))
    path = osp.join(folder, STARTED)
    with open(path + '.tmp', 'w') as f:
        json.dump(dict(fingerprint=key), f)
    os.replace(path + '.tmp', path)
    return removed


def write_record(folder: str, key: str, **info) -> None:
    """Mark the phase done (atomic: a crash leaves no half record)."""
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, RECORD)
    with open(path + '.tmp', 'w') as f:
        json.dump(dict(fingerprint=key, **info), f, indent=1)
    os.replace(path + '.tmp', path)


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds} s'
    if seconds < 3600:
        return f'{seconds // 60} min {seconds % 60:02d} s'
    return f'{seconds // 3600} h {seconds % 3600 // 60:02d} min'


class Progress:
    """One progress line per phase over a whole job, with an ETA.

    Args:
        weights: name -> estimated cost (seconds on a quiet 2-core machine)
            of each planned phase, in order. The ETA rescales the remaining
            estimates by the speed measured on the phases that ran (reused
            phases count as done and cost nothing).
        log: where lines go.
        min_speed_weight: phases lighter than this do not enter the
            measured speed.
    """

    def __init__(self, weights: Dict[str, float],
                 log: Callable[[str], None] = print,
                 min_speed_weight: float = 1.0) -> None:
        self.weights = dict(weights)
        self.log = log
        self.start = time.time()
        self.timings: List[tuple] = []  # (name, seconds, reused)
        self._ran_weight = 0.
        self._ran_seconds = 0.
        self.min_speed_weight = min_speed_weight

    @property
    def done(self) -> List[str]:
        return [t[0] for t in self.timings]

    def eta(self) -> float:
        left = sum(w for n, w in self.weights.items() if n not in self.done)
        speed = (self._ran_seconds / self._ran_weight
                 if self._ran_weight > 0 else 1.)
        return left * speed

    def begin(self, name: str) -> None:
        total = len(self.weights)
        index = len(self.timings) + 1
        self.log(f'[{index}/{total}] {name}: elapsed '
                 f'{format_seconds(time.time() - self.start)}, ETA '
                 f'{format_seconds(self.eta())}')
        self._phase_start = time.time()

    def end(self, name: str, reused: bool = False) -> None:
        seconds = time.time() - self._phase_start
        self.timings.append((name, seconds, reused))
        weight = self.weights.get(name, 0.)
        # tiny phases (writing files) say little about the speed of training
        if not reused and weight >= self.min_speed_weight:
            self._ran_weight += weight
            self._ran_seconds += seconds

    def summary(self) -> str:
        """Markdown table of every phase's time (reused ones marked)."""
        rows = ['| phase | time |', '|---|---|']
        for name, seconds, reused in self.timings:
            rows.append(f'| {name} | '
                        f"{'reused' if reused else format_seconds(seconds)} |")
        rows.append(f'| all | {format_seconds(time.time() - self.start)} |')
        return '\n'.join(rows)

    def timing_report(self) -> str:
        """The summary under a line with the date, CPU count and load
        average: what a run prints at its end."""
        load = ', '.join(f'{v:.1f}' for v in os.getloadavg())
        return (f'\nTimes ({time.strftime("%Y-%m-%d %H:%M")}, '
                f'{os.cpu_count()} CPUs, load average {load}):\n' +
                self.summary())
