"""The busy-machine benchmark times the job in both environments, beside
a competing process, and prints the ratio."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # starts the timed processes and a competitor
def test_prints_both_environments_and_the_ratio():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_busy_machine.py',
         '--steps', '1', '--rounds', '1', '--batch-size', '4',
         '--captions', '2', '--competitors', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1',
                 OMP_WAIT_POLICY='ACTIVE'))  # the user's, ignored here
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert '1 competing busy process(es) (load average' in out
    cores = len(os.sched_getaffinity(0))
    assert re.search(r'\| before \| \d+ \| unset \| [\d.]+ \|', out)
    assert re.search(rf'\| after \| {cores} \| PASSIVE \| [\d.]+ \|', out)
    assert re.search(r'ratio before / after: [\d.]+x', out)
