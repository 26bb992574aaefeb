"""The random-walk benchmark runs both ways and prints one comparison."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_prints_time_memory_ratios_and_the_difference():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_random_walk.py',
         '--size', '12', '16', '--check-size', '8', '10',
         '--dense-squarings', '2', '--threads', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    gap = re.search(r'largest difference (\S+) \(float64\), (\S+) '
                    r'\(float32\)', out)
    assert float(gap.group(1)) < 1e-10 and float(gap.group(2)) < 1e-4
    assert re.search(r'\| sparse \| [\d.]+ \| [\d.]+ \|', out)
    assert 'extrapolated from 2 of 8 squarings' in out
    assert re.search(r'\| dense / sparse \| \d+x \| \d+x \|', out)
    assert len(re.findall(r'bytes / pixel', out)) == 3
