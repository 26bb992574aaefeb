"""Suite-wide setup: mmseg's default registry scope, as its own tools set it,
and the ``device`` fixture that runs a test on every device present."""
import pytest
import torch
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers our modules)

register_all_modules(init_default_scope=True)
torch.set_num_threads(max(1, min(2, torch.get_num_threads())))

NO_CUDA = 'CUDA is not available (torch.cuda.is_available() is False)'

# what `pytest -m cuda` runs: the cuda case of every `device` test and the
# tests of tests/cuda/
DEVICES = [
    'cpu',
    pytest.param(
        'cuda',
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
        ]),
]


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'cuda: runs on a CUDA device (skipped, with the reason, '
        'where none is available); `pytest -m cuda` selects exactly these')
    config.addinivalue_line(
        'markers', 'slow: trains a model or spawns processes (seconds to '
        'minutes); `pytest -m "not slow"` is the quick loop, CI runs all')


def pytest_report_header(config):
    if torch.cuda.is_available():
        return f'CUDA: {torch.cuda.get_device_name(0)}'
    return f'CUDA tests skipped: {NO_CUDA}'


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    """The device a test runs on: 'cpu' always, 'cuda' where present."""
    return torch.device(request.param)
