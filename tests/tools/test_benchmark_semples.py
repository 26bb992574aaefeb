import re
import sys
from pathlib import Path

import pytest

from test_train_semples import TINY, run

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('stage', [1, 2, 3])
def test_benchmark_prints_the_shares(stage):
    out = run([sys.executable, 'tools/analysis_tools/benchmark_semples.py',
               TINY, '--stage', str(stage), '--batch-size', '2', '--iters',
               '2', '--size', '32'])
    row = next(line for line in out.splitlines()
               if line.startswith(f'| {TINY} |'))
    shares = [float(x) for x in re.findall(r'([\d.]+)%', row)]
    assert len(shares) == 2
    image, text = shares
    assert 0 < image < 100 and 0 <= text < 100
    if stage == 2:
        assert text > 0  # the prompts go through the text encoder
