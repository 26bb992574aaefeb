"""A clone named ``semples_mmseg`` used from its parent folder fails loudly.

Python imports such a folder as an empty namespace package, so the configs'
``custom_imports`` of ``semples_mmseg`` "succeed" and nothing is registered;
``semples_mmseg.registration`` (the second custom import) then resolves to
the repository's top-level ``registration.py``, which says what happened
instead of mmseg's ``KeyError: 'SemPLeSSegmentor is not in the mmseg::model
registry'``.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LOAD_CONFIG = ('import importlib.util, sys\n'
               "spec = importlib.util.find_spec('semples_mmseg')\n"
               'if spec.origin is not None:\n'
               "    sys.exit('NOT-A-NAMESPACE ' + spec.origin)\n"
               'from mmseg.apis import init_model\n'
               "init_model('semples_mmseg/configs/semples/weaktr_voc.py')\n")


def run_from(folder: Path, code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return subprocess.run([sys.executable, '-c', code], cwd=folder,
                          capture_output=True, text=True, timeout=300,
                          env=dict(env, OMP_NUM_THREADS='1'))


def test_namespace_import_of_the_clone_stops_with_what_to_do(tmp_path):
    (tmp_path / 'semples_mmseg').symlink_to(REPO, target_is_directory=True)
    proc = run_from(tmp_path, LOAD_CONFIG)
    if 'NOT-A-NAMESPACE' in proc.stderr:
        pytest.skip('a regular semples_mmseg is installed (site-packages): '
                    'Python prefers it to the folder, no namespace package')
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    clone = tmp_path / 'semples_mmseg'
    assert last.startswith(
        'semples_mmseg.registration.ClonedFolderImportedError: '), last
    assert f'imported from the repository folder {clone}' in last
    assert 'empty namespace package' in last
    assert f'cd {clone}' in last and f'pip install -e {clone}' in last
    assert 'is not in the mmseg::model registry' not in \
        proc.stderr.replace('fail with "SemPLeSSegmentor is not in the '
                            'mmseg::model registry"', '')


def test_inside_the_clone_the_package_registers_as_usual(tmp_path):
    proc = run_from(REPO, 'from mmengine.config import Config\n'
                    "Config.fromfile('configs/semples/weaktr_voc.py')\n"
                    'import semples_mmseg, semples_mmseg.registration\n'
                    'from mmseg.registry import MODELS\n'
                    "print(MODELS.get('SemPLeSSegmentor').__name__,\n"
                    '      semples_mmseg.registration.__file__)\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    name, path = proc.stdout.split()[-2:]
    assert name == 'SemPLeSSegmentor'
    assert Path(path) == REPO / 'semples_mmseg' / 'registration.py'
