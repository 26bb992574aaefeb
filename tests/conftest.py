"""Suite-wide setup: mmseg's default registry scope, as its own tools set it,
the ``device`` fixture that runs a test on every device present, and the
removal of a module's temporary folders once all its tests passed."""
import shutil

import pytest
import torch
from mmengine.visualization import Visualizer
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


# The suite trains real-size networks (ResNet-50 / 101) for a step or two and
# their checkpoints take about 9 GB over a run. ``pytest.ini`` asks pytest to
# remove a passed test's ``tmp_path``; the folders that module-scoped fixtures
# make with ``tmp_path_factory`` go when their module ends with no failure.
# A failed module keeps everything for the post-mortem.
_FAILED_MODULES: set = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if outcome.get_result().failed:
        _FAILED_MODULES.add(item.path)


@pytest.fixture(scope='module', autouse=True)
def _remove_module_tmp_folders(request, tmp_path_factory):
    """Delete the folders made under pytest's base temp during a module that
    passed (module fixtures' roots; a failed test's ``tmp_path`` stays)."""
    base = tmp_path_factory.getbasetemp()
    before = set(base.iterdir())
    yield
    if request.path in _FAILED_MODULES:
        return
    for path in set(base.iterdir()) - before:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _forget_the_visualizer():
    """mmengine keeps one Visualizer per name for the process, and mmseg's
    configs all name theirs 'visualizer': a second Runner in one process would
    reuse the first one's, writing into that (by now removed) work dir.
    mmengine's own ``RunnerTestCase`` clears them after each test too (here
    for every subclass: each keeps its own, e.g. ``SegLocalVisualizer``)."""
    yield
    classes = [Visualizer]
    while classes:
        cls = classes.pop()
        cls._instance_dict.clear()
        classes.extend(cls.__subclasses__())
