"""scripts/gpu_check.sh cannot break silently: its shell parses, it refuses a
host without CUDA by name, and its dry run (DEVICE=cpu, the tiny config)
goes through every step: the existing environment reused (never set up),
`pytest -m cuda`, a benchmark row (one per stage and precision), one table."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'scripts/gpu_check.sh'
TINY = 'tests/data/configs/semples_tiny_fixture.py'
VENV = str(Path(sys.executable).parents[1])  # this interpreter's venv


def run_script(env, timeout=600):
    return subprocess.run(['bash', str(SCRIPT)], cwd=REPO, text=True,
                          capture_output=True, timeout=timeout,
                          env=dict(os.environ, VENV=VENV, **env))


def test_script_parses():
    proc = subprocess.run(['bash', '-n', str(SCRIPT)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='this host has CUDA')
def test_a_host_without_cuda_is_refused_by_name(tmp_path):
    proc = run_script(dict(OUT=str(tmp_path)))
    assert proc.returncode == 1
    assert 'torch.cuda.is_available() is False' in proc.stderr
    assert not (tmp_path / 'table.md').exists()


def test_dry_run_on_cpu_writes_one_table(tmp_path):
    out = tmp_path / 'gpu_check'
    proc = run_script(dict(
        DEVICE='cpu', OUT=str(out), CONFIG=TINY, STAGES='2',
        PRECISIONS='bf16', ROUNDS='1', WARMUP='0', SIZE='32',
        TESTS='tests/cuda/test_amp_stages.py',
        BENCH_ARGS='--loader-images 2 --gpus 8',
        PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = proc.stdout
    assert f'reusing {VENV}' in text and '[setup]' not in text
    assert 'pytest -m cuda' in text and 'skipped' in text  # CUDA cases
    table = (out / 'table.md').read_text()
    assert table in text  # the table printed is the file
    rows = [line for line in table.splitlines()
            if line.startswith('| semples_tiny_fixture.py')]
    assert [r.split('|')[2:4] for r in rows] == [[' 2 ', ' bf16 ']]
    assert table.count('| config | stage |') == 1
    assert (out / 'stage2_bf16.log').exists()
