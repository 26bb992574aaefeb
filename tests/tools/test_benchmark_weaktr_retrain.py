"""benchmark_weaktr_retrain.py prints its rows and ratios (tiny model)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / 'tests/data/configs/weaktr_retrain_tiny_fixture.py'
# the tiny model at an eighth of the evaluation sizes, 64-pixel windows
SMALL_VIEWS = f'''
_base_ = [{str(TINY)!r}]
model = dict(test_cfg=dict(crop_size=(64, 64), stride=(40, 40)))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(520, 65), keep_ratio=True),
    dict(type='LoadAnnotations'), dict(type='PackSegInputs')]))
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(520 * r, 65 * r), keep_ratio=True)
         for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]])]
'''


@pytest.mark.slow
def test_benchmark_prints_step_and_view_ratios(tmp_path):
    config = tmp_path / 'small_views.py'
    config.write_text(SMALL_VIEWS)
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_weaktr_retrain.py',
         str(config), '--rounds', '1', '--warmup', '0', '--batch-size', '1',
         '--image-size', '40', '60'],
        cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = dict(re.findall(r'^\| (.+?) \| .+? \| ([\d.]+)x \|$',
                           proc.stdout, re.M))
    assert float(rows['training step, gradient-clipping loss']) > 0
    assert float(rows['the loss alone, gradient-clipping']) > 0
    assert any(k.startswith('training step, gradient-clipping, from the '
                            'loss alone') for k in rows)
    assert float(rows['evaluation, 12 views + CRF']) > 1
    # 40 x 60 -> 65 x 98: 2 x 2 windows of 64 (stride 40)
    assert rows['evaluation, 1 view (image 40x60, 4 windows)'] == '1.00'
    assert any(k.startswith('evaluation, 12 views, no CRF (') for k in rows)
    assert 'on cpu' in proc.stdout and 'load average' in proc.stdout
