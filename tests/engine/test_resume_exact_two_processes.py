"""A 2-process CPU run (gloo, tools/dist_train.sh) killed in stage 1,
resumed, killed in stage 3, resumed again equals the uninterrupted
2-process run bit for bit.

The tiny SemPLeS config of test_resume_exact.py (stages of 2 / 1 / 2
epochs) over an 8-image fixture: each rank trains on 4 images, 2
iterations per epoch. ``KillSwitchHook(mode='exit')`` ends both processes
with ``os._exit`` (no clean-up, as ``kill -9``) at the same iteration.
"""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import make_voc_fixture
from test_resume_exact import assert_same_run, checkpoint, tiny_cfg

pytestmark = pytest.mark.slow  # trains models in 2-process runs

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(cfg, folder: Path, *extra) -> subprocess.CompletedProcess:
    """``tools/dist_train.sh CONFIG 2 [extra]`` with ``cfg`` dumped to a
    file that also imports the kill switch; the output is kept in the work
    dir's ``dist_train*.log``."""
    cfg.custom_imports = dict(
        imports=['semples_mmseg', 'fixtures.kill_switch'],
        allow_failed_imports=False)
    path = folder / f'{cfg.experiment_name}.py'
    cfg.dump(str(path))
    tests = os.pathsep.join([str(REPO / 'tests')] + os.environ.get(
        'PYTHONPATH', '').split(os.pathsep))
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(path), '2', *extra], cwd=REPO,
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
                 PYTHONPATH=tests, PORT=str(free_port())))
    Path(cfg.work_dir).mkdir(parents=True, exist_ok=True)
    log = Path(cfg.work_dir) / f'dist_train_{cfg.experiment_name}.log'
    log.write_text(proc.stdout + proc.stderr)
    return proc


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume2')
    make_voc_fixture(str(root / 'data'), num_images=8)
    reference = root / 'uninterrupted'
    proc = dist_train(tiny_cfg(root / 'data', reference), root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, reference


def test_two_processes_killed_in_stage_1_and_3_resume_exactly(runs):
    root, reference = runs
    work = root / 'killed'
    # stage 1 (epochs 0-1): before the second iteration of epoch 1
    proc = dist_train(tiny_cfg(root / 'data', work,
                               kill=dict(epoch=1, iteration=1, mode='exit')),
                      root)
    assert proc.returncode != 0
    assert (work / 'epoch_1.pth').is_file()
    assert not (work / 'epoch_2.pth').exists()
    written = (work / 'epoch_1.pth').stat().st_mtime_ns
    # resumed, then stage 3 (epochs 3-4): before the second iteration of 4
    proc = dist_train(tiny_cfg(root / 'data', work,
                               kill=dict(epoch=4, iteration=1, mode='exit')),
                      root, '--resume')
    assert proc.returncode != 0
    assert (work / 'epoch_1.pth').stat().st_mtime_ns == written  # resumed
    assert (work / 'epoch_4.pth').is_file()
    assert not (work / 'epoch_5.pth').exists()
    written = (work / 'epoch_4.pth').stat().st_mtime_ns
    proc = dist_train(tiny_cfg(root / 'data', work), root, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / 'epoch_4.pth').stat().st_mtime_ns == written
    # both ranks' generators travel in the checkpoints (mmengine seeds the
    # ranks alike unless randomness.diff_rank_seed)
    assert len(checkpoint(work / 'epoch_5.pth')['message_hub'][
        'runtime_info']['semples_rng_states']) == 2
    assert_same_run(reference, work)
