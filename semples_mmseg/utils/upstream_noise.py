"""Upstream messages that say nothing about a run, filtered.

Every process that imports mmseg's datasets and models on the maintained
forks printed, before any log line of ours:

- ``Could not import OneDL`` (twice): onedl-mmsegmentation's
  ``mmseg/datasets/transforms/__init__.py`` tries its optional
  ``LoadOneDLAnnotations`` transform, which needs the OneDL platform package
  (``onedl.core``, not a dependency), and reports the failed import with
  ``print_log(..., level=DEBUG)`` without a logger, which mmengine prints
  unconditionally. Nothing of ours uses that transform.
- ``UserWarning: Fail to import MultiScaleDeformableAttention ... install
  mmcv rather than mmcv-lite`` from ``mmcv/cnn/bricks/transformer.py``
  (imported by mmseg's models): onedl-mmcv ships without compiled ops. Only
  Mask2Former (``configs/seg/mask2former_*``) needs that op; everything else
  in this project runs without mmcv's ops (README, "Install").

- ``UserWarning: 'pin_memory' argument is set as true but no accelerator is
  found`` from ``torch/utils/data/dataloader.py``, once per data loader on a
  host without a GPU: the dataset configs pin batches for the GPU, and
  without one torch simply does not pin (nothing changes in the run).

Each filter matches exactly its message from exactly its module; every
other warning and log line is left alone.
"""
import contextlib
import importlib
import logging
import warnings
from typing import Iterator

ONEDL_MESSAGE = 'Could not import OneDL'
MMCV_LITE_MESSAGE = r'Fail to import ``MultiScaleDeformableAttention``'
MMCV_LITE_MODULE = r'mmcv\.cnn\.bricks\.transformer'
PIN_MEMORY_MESSAGE = (r"'pin_memory' argument is set as true but no "
                      r'accelerator is found')
PIN_MEMORY_MODULE = r'torch\.utils\.data\.dataloader'


def filter_mmcv_lite_warning() -> None:
    """Ignore mmcv's import-time warning about its missing deformable
    attention op (that message, that module, UserWarning only)."""
    warnings.filterwarnings('ignore', message=MMCV_LITE_MESSAGE,
                            category=UserWarning, module=MMCV_LITE_MODULE)


def filter_cpu_pin_memory_warning() -> None:
    """Ignore torch's per-loader warning that ``pin_memory=True`` has no
    effect without an accelerator (that message, that module only)."""
    warnings.filterwarnings('ignore', message=PIN_MEMORY_MESSAGE,
                            category=UserWarning, module=PIN_MEMORY_MODULE)


@contextlib.contextmanager
def dropping_onedl_message() -> Iterator[None]:
    """While active, mmengine's ``print_log`` drops the logger-less
    ``Could not import OneDL`` line; every other call passes through."""
    import mmengine.logging as mmengine_logging
    original = mmengine_logging.print_log

    def print_log(msg, logger=None, level=logging.INFO):
        if logger is None and msg == ONEDL_MESSAGE:
            return None
        return original(msg, logger=logger, level=level)

    mmengine_logging.print_log = print_log
    try:
        yield
    finally:
        mmengine_logging.print_log = original


def import_mmseg_quietly() -> None:
    """Import mmseg's datasets and models with their start-up messages
    filtered (a no-op for what an earlier import already printed), and
    filter the CPU pin-memory warning for the rest of the process."""
    filter_mmcv_lite_warning()
    filter_cpu_pin_memory_warning()
    with dropping_onedl_message():
        importlib.import_module('mmseg.datasets')
        importlib.import_module('mmseg.models')
