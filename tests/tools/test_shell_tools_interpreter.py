"""tools/*.sh run the project's interpreter: PYTHON if set, else the
repository's .venv/bin/python when it exists, else python from PATH.

The launchers are copied into a temporary repository whose "interpreters"
(and ``srun``) are recorder scripts writing their own name and arguments,
so nothing is trained: the test checks which program each launcher runs and
with what.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCHERS = {
    'dist_train.sh': (['cfg.py', '2', '--amp'],
                      ['-m', 'torch.distributed.run', 'train.py', 'cfg.py',
                       '--launcher', 'pytorch', '--amp']),
    'dist_test.sh': (['cfg.py', 'ckpt.pth', '2', '--tta'],
                     ['-m', 'torch.distributed.run', 'test.py', 'cfg.py',
                      'ckpt.pth', '--launcher', 'pytorch', '--tta']),
    'slurm_train.sh': (['part', 'job', 'cfg.py', '--resume'],
                       ['-u', 'train.py', 'cfg.py', '--launcher=slurm',
                        '--resume']),
    'slurm_test.sh': (['part', 'job', 'cfg.py', 'ckpt.pth', '--out', 'o'],
                      ['-u', 'test.py', 'cfg.py', 'ckpt.pth',
                       '--launcher=slurm', '--out', 'o']),
}


def recorder(path: Path, name: str, log: Path) -> None:
    """An executable that appends ``name arg1 arg2 ...`` to ``log``; as
    ``srun`` it runs what it was given after its own options."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = f'#!/bin/sh\necho "{name} $*" >> "{log}"\n'
    if name == 'srun':  # drop srun's options, run the program it launches
        body += ('while [ $# -gt 0 ]; do case "$1" in -p) shift 2;; '
                 '-*) shift;; *) break;; esac; done\nexec "$@"\n')
    path.write_text(body)
    path.chmod(0o755)


@pytest.fixture
def fake_repo(tmp_path):
    repo = tmp_path / 'clone'
    (repo / 'tools').mkdir(parents=True)
    for f in (REPO / 'tools').glob('*.sh'):
        shutil.copy(f, repo / 'tools' / f.name)
    log = tmp_path / 'calls.log'
    bin_dir = tmp_path / 'bin'
    recorder(bin_dir / 'python', 'path-python', log)
    recorder(bin_dir / 'srun', 'srun', log)
    return repo, bin_dir, log


def run(repo, bin_dir, launcher, args, **env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ('PYTHON', 'VENV')}
    clean['PATH'] = f"{bin_dir}{os.pathsep}{clean['PATH']}"
    proc = subprocess.run(['bash', str(repo / 'tools' / launcher), *args],
                          cwd=repo.parent, capture_output=True, text=True,
                          env=dict(clean, **env), timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def interpreter_calls(log: Path):
    """(program, args with tool paths reduced to their file names)."""
    calls = []
    for line in log.read_text().splitlines():
        program, *args = line.split()
        if program == 'srun':
            continue
        calls.append((program, [Path(a).name if a.endswith('.py') else a
                                for a in args if not a.startswith('--n')
                                and not a.startswith('--master')]))
    return calls


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_launcher_uses_the_project_venv(fake_repo, launcher):
    repo, bin_dir, log = fake_repo
    recorder(repo / '.venv' / 'bin' / 'python', 'venv-python', log)
    args, expected = LAUNCHERS[launcher]
    run(repo, bin_dir, launcher, args)
    assert interpreter_calls(log) == [('venv-python', expected)]


@pytest.mark.parametrize('launcher', sorted(LAUNCHERS))
def test_python_overrides_the_venv(fake_repo, launcher, tmp_path):
    repo, bin_dir, log = fake_repo
    recorder(repo / '.venv' / 'bin' / 'python', 'venv-python', log)
    chosen = tmp_path / 'mine' / 'python3'
    recorder(chosen, 'chosen-python', log)
    args, expected = LAUNCHERS[launcher]
    run(repo, bin_dir, launcher, args, PYTHON=str(chosen))
    assert interpreter_calls(log) == [('chosen-python', expected)]


def test_without_a_venv_python_comes_from_path(fake_repo):
    repo, bin_dir, log = fake_repo
    args, expected = LAUNCHERS['dist_train.sh']
    run(repo, bin_dir, 'dist_train.sh', args)
    assert interpreter_calls(log) == [('path-python', expected)]


def test_venv_names_another_environment_of_the_repo(fake_repo):
    repo, bin_dir, log = fake_repo
    recorder(repo / '.venv' / 'bin' / 'python', 'venv-python', log)
    recorder(repo / 'envs' / 'gpu' / 'bin' / 'python', 'other-venv', log)
    args, expected = LAUNCHERS['dist_test.sh']
    run(repo, bin_dir, 'dist_test.sh', args, VENV='envs/gpu')
    assert interpreter_calls(log) == [('other-venv', expected)]
