"""tools/analysis_tools/benchmark_export.py on the tiny config (no timings)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


@pytest.mark.slow
def test_benchmark_exports_both_ways_and_prints_the_ratio(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_export.py', TINY,
         '--num-images', '3', '--height', '64', '--width', '80',
         '--rounds', '1', '--save-cams', '--work-dir', str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'CAM export of 3 generated 80 x 64 JPEGs' in out
    assert re.search(r'\| serial \| 0 \| 0 \| [\d.]+ \|', out)
    assert re.search(r'\| streaming \| 2 \| 2 \| [\d.]+ \|', out)
    assert re.search(r'streaming / serial images/s: [\d.]+x', out)
    assert re.search(r'can reach at most [\d.]+x', out)
    assert 'outputs identical across modes and rounds: yes' in out
    assert re.search(r'peak RSS: main process \d+ MB, largest loader '
                     r'worker \d+ MB', out)
    # both modes wrote every mask and CAM of the 3 images
    for mode in ('serial', 'streaming'):
        assert len(list((tmp_path / f'masks_{mode}').glob('*.png'))) == 3
        assert len(list((tmp_path / f'masks_{mode}/cams').glob('*.npy'))) == 3
