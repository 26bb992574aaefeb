"""`pytest -m cuda` (what scripts/gpu_check.sh runs) selects at least one
test of every module that computes, and nothing that is not a CUDA case:
the GPU run cannot silently cover nothing."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# one test file per module that computes
MODULE_TESTS = {
    'WeakTr CAM network': 'tests/models/cam_nets/test_weaktr.py',
    'CLIMS CAM network': 'tests/models/cam_nets/test_clims_resnet.py',
    'CLIP guide': 'tests/models/clip/test_clip_guide.py',
    'prompt learner': 'tests/models/clip/test_prompt_learner.py',
    'fast image tower': 'tests/models/clip/test_fast_image_tower.py',
    'SemPLeS losses': 'tests/models/losses/test_semples_losses.py',
    'CLIMS losses': 'tests/models/losses/test_clims_losses.py',
    'WeakTr loss': 'tests/models/losses/test_weaktr_classification.py',
    'soft masks': 'tests/models/utils/test_soft_masks.py',
    'segmentor train step and prediction':
    'tests/models/segmentors/test_semples_segmentor.py',
    'CAMSeedMetric': 'tests/evaluation/test_cam_seed_metric.py',
    'pseudo masks': 'tests/pseudo_masks/test_export_device.py',
    'stages under AMP': 'tests/cuda/test_amp_stages.py',
}


def test_cuda_marker_selects_every_module_and_only_cuda_cases():
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', 'tests', '-m', 'cuda',
         '--collect-only', '-q', '-p', 'no:cacheprovider'],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    selected = [line for line in proc.stdout.splitlines() if '::' in line]
    by_file = {}
    for node in selected:
        by_file.setdefault(node.split('::')[0], []).append(node)
    missing = [name for name, path in MODULE_TESTS.items()
               if not by_file.get(path)]
    assert not missing, f'`pytest -m cuda` runs no test of {missing}'
    # exactly the CUDA cases: the cuda parameter of the device fixture or
    # a test of tests/cuda/ that runs on CUDA
    not_cuda = [n for n in selected if 'cuda' not in n.split('::', 1)[1]]
    assert not not_cuda, not_cuda
    assert not any('cpu' in n.split('[')[-1] for n in selected if '[' in n)
