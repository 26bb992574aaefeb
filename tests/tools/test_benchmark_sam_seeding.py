"""tools/analysis_tools/benchmark_sam_seeding.py at a tiny size (no timings
asserted: only that both ways agree and every number is printed)."""
import re
import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_compares_both_ways_and_prints_ratios(monkeypatch, capsys):
    pytest.importorskip('segment_anything')
    tool = runpy.run_path(
        str(REPO / 'tools/analysis_tools/benchmark_sam_seeding.py'),
        run_name='tool')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_sam_seeding.py', '--height', '30', '--width', '40',
        '--masks', '12', '--images', '3', '--rounds', '2'])
    tool['main']()
    out = capsys.readouterr().out
    assert '3 images of 40 x 30' in out
    assert 'label maps identical to the per-mask loop: yes' in out
    assert re.search(r'\| sam_seeds \(vectorised\) \| [\d.]+ \|', out)
    assert re.search(r'other / sam_seeds \(vectorised\)\): [\d.]+x', out)
    assert 'kept masks identical: yes' in out
    assert re.search(r'other / pixel blocks\): [\d.]+x', out)
    assert re.search(r'region file: \d+ kB per image', out)
