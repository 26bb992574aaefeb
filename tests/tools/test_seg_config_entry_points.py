"""Which train command reads configs/seg (docs in configs/seg/README.md).

configs/seg inherit mmseg's stock configs (``mmseg::...``). mmengine finds
them through the *distribution* ``mmsegmentation``; the maintained fork is
``onedl-mmsegmentation``, so only after ``import semples_mmseg`` does the
path resolve, and mmseg's own ``tools/train.py`` reads the config before it
imports anything of ours. On the forks the documented commands are ours:
``python tools/train.py CONFIG`` in a checkout (trained by
tests/tools/test_train_seg_stage.py) or ``mim train semples_mmseg CONFIG``
after any install (the wheel's ``.mim/tools/train.py``,
tests/test_packaging.py). With the classic ``mmsegmentation`` installed,
mmseg's own tool reads them too.
"""
import os.path as osp
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import mmseg
import pytest
from mmengine.config import Config

import semples_mmseg  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
SEG_CONFIGS = sorted(str(p) for p in (REPO / 'configs/seg').glob('*.py'))
MMSEG_TRAIN = osp.join(osp.dirname(mmseg.__file__), '.mim/tools/train.py')


def classic_mmseg_installed() -> bool:
    try:
        version('mmsegmentation')
        return True
    except PackageNotFoundError:
        return False


def test_every_seg_config_reads_once_semples_mmseg_is_imported():
    assert len(SEG_CONFIGS) == 6
    for path in SEG_CONFIGS:
        cfg = Config.fromfile(path)
        assert cfg.custom_imports.imports == ['semples_mmseg'], path
        assert cfg.train_dataloader.dataset.type in (
            'PseudoMaskDataset', 'COCOWeakDataset'), path


@pytest.mark.slow
@pytest.mark.skipif(classic_mmseg_installed(),
                    reason='classic mmsegmentation: mmseg:: resolves as is')
def test_mmseg_own_train_tool_stops_on_seg_configs_on_the_forks(tmp_path):
    proc = subprocess.run(
        [sys.executable, MMSEG_TRAIN, SEG_CONFIGS[0], '--work-dir',
         str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert 'mmsegmentation is not installed' in proc.stderr
