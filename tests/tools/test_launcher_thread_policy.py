"""The shell launchers export the OpenMP thread policy unless it is set:
threads = the cores (nproc) / processes per node, or CPUS_PER_TASK under
slurm; OMP_WAIT_POLICY=PASSIVE.

As in test_shell_tools_interpreter.py the launchers run in a temporary
repository whose interpreter (and ``srun``, ``nproc``) are stand-ins that
record what they are given: nothing is trained.
"""
import shutil
from pathlib import Path

import pytest

from test_shell_tools_interpreter import recorder, run

pytestmark = pytest.mark.slow  # runs the launchers (bash)

REPO = Path(__file__).resolve().parents[2]
ARGS = {'dist_train.sh': ['cfg.py', '{procs}'],
        'dist_test.sh': ['cfg.py', 'ckpt.pth', '{procs}'],
        'slurm_train.sh': ['part', 'job', 'cfg.py'],
        'slurm_test.sh': ['part', 'job', 'cfg.py', 'ckpt.pth']}


@pytest.fixture
def launch(tmp_path):
    """Run a launcher with ``cores`` usable cores; the OpenMP variables
    the interpreter was started with."""
    repo = tmp_path / 'clone'
    (repo / 'tools').mkdir(parents=True)
    for f in (REPO / 'tools').glob('*.sh'):
        shutil.copy(f, repo / 'tools' / f.name)
    bin_dir, log = tmp_path / 'bin', tmp_path / 'env.log'
    python = repo / '.venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    python.write_text('#!/bin/sh\necho "$OMP_NUM_THREADS $OMP_WAIT_POLICY" '
                      f'> "{log}"\n')
    python.chmod(0o755)
    recorder(bin_dir / 'srun', 'srun', tmp_path / 'srun.log')

    def go(launcher, *, cores=8, procs=2, **env):
        nproc = bin_dir / 'nproc'
        nproc.write_text(f'#!/bin/sh\necho {cores}\n')
        nproc.chmod(0o755)
        args = [a.format(procs=procs) for a in ARGS[launcher]]
        run(repo, bin_dir, launcher, args, **env)
        return log.read_text().split()

    return go


@pytest.mark.parametrize('launcher', ['dist_train.sh', 'dist_test.sh'])
def test_torchrun_launchers_share_the_cores(launch, monkeypatch, launcher):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    assert launch(launcher, cores=8, procs=2) == ['4', 'PASSIVE']
    assert launch(launcher, cores=2, procs=4) == ['1', 'PASSIVE']


@pytest.mark.parametrize('launcher', ['slurm_train.sh', 'slurm_test.sh'])
def test_slurm_launchers_use_the_cpus_per_task(launch, monkeypatch,
                                               launcher):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    assert launch(launcher, CPUS_PER_TASK='6') == ['6', 'PASSIVE']


@pytest.mark.parametrize('launcher', sorted(ARGS))
def test_the_users_settings_are_kept(launch, launcher):
    assert launch(launcher, OMP_NUM_THREADS='3', OMP_WAIT_POLICY='ACTIVE') \
        == ['3', 'ACTIVE']
