"""What tools/train.py and tools/test.py print: the config once (mmengine's
Runner logs it; our tools do not print it again) and the run itself."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import make_voc_fixture

pytestmark = pytest.mark.slow  # two tool runs in subprocesses

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'tests/data/configs/stock_fcn_tiny_fixture.py'


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
    assert ('Iter(train) [4/4]' if tool == 'train' else 'mIoU') in out
