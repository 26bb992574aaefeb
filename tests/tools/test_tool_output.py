"""What tools/train.py and tools/test.py print: the config once (mmengine's
Runner logs it; our tools do not print it again), no upstream start-up noise
("Could not import OneDL", mmcv-lite's deformable-attention warning; see
semples_mmseg/utils/upstream_noise.py), other warnings untouched.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch  # noqa: F401  (the skipif condition)

from fixtures import make_voc_fixture
from semples_mmseg.utils.upstream_noise import ONEDL_MESSAGE

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'tests/data/configs/stock_fcn_tiny_fixture.py'
NOISE = (ONEDL_MESSAGE, 'MultiScaleDeformableAttention', 'mmcv-lite')


def run(args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp('tool_output')
    make_voc_fixture(str(root / 'data'), num_images=4)
    data = [f'{s}_dataloader.dataset.data_root={root / "data"}'
            for s in ('train', 'test')]
    train = run(['tools/train.py', CONFIG, '--work-dir', str(root / 'work'),
                 '--cfg-options', *data])
    test = run(['tools/test.py', CONFIG, str(root / 'work' / 'iter_4.pth'),
                '--work-dir', str(root / 'test'), '--cfg-options', *data])
    return {'train': train, 'test': test}


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_the_config_is_printed_once(outputs, tool):
    out = outputs[tool]
    assert out.count('mmengine - INFO - Config:') == 1, tool
    # the dump itself, once: a line only the config has
    assert out.count("type='EncoderDecoder'") == 1, tool


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_upstream_start_up_noise_is_filtered(outputs, tool):
    out = outputs[tool]
    for message in NOISE:
        assert message not in out, (tool, message)
    # the run itself is there
    assert ('Iter(train) [4/4]' if tool == 'train' else 'mIoU') in out


def test_other_warnings_still_show(outputs):
    # mmseg's own loss warning is not ours to hide
    assert 'avg_non_ignore' in outputs['train']


def test_filters_match_only_their_message():
    code = ('import warnings, semples_mmseg\n'
            "warnings.warn('Fail to import something else', UserWarning)\n"
            'from mmengine.logging import print_log\n'
            "print_log('Could not import something else')\n")
    out = run(['-c', code])
    assert 'Fail to import something else' in out
    assert 'Could not import something else' in out


PIN_MEMORY_LOADER = ('import torch\n'
                     'from torch.utils.data import DataLoader\n'
                     'list(DataLoader(torch.zeros(2, 1), pin_memory=True))\n'
                     "print('loaded')\n")


@pytest.mark.skipif('torch.cuda.is_available()',
                    reason='the warning is only given without a GPU')
def test_cpu_pin_memory_warning_is_filtered_after_import():
    # torch warns once per loader that pin_memory=True does nothing on a
    # CPU host; without the package the warning shows (the filter is real)
    plain = run(['-W', 'default', '-c', PIN_MEMORY_LOADER])
    assert "'pin_memory' argument is set as true" in plain
    quiet = run(['-W', 'default', '-c',
                 'import semples_mmseg\n' + PIN_MEMORY_LOADER])
    assert 'loaded' in quiet
    assert "'pin_memory' argument is set as true" not in quiet
