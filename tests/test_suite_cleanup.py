"""The suite removes what passed tests wrote and keeps what failed ones did
(``pytest.ini`` and ``tests/conftest.py``), checked on a small suite run in a
process of its own with this suite's settings."""
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

MODULE = '''
import pytest


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('{name}_fixture')
    (root / 'checkpoint.pth').write_bytes(b'x' * 1000)
    return root


def test_writes(root, tmp_path):
    (tmp_path / 'out.txt').write_text('done')


def test_second(root, tmp_path):
    assert {ok}
'''


def test_passed_folders_go_and_failed_ones_stay(tmp_path):
    suite = tmp_path / 'suite'
    suite.mkdir()
    shutil.copy(TESTS / 'conftest.py', suite / 'conftest.py')
    shutil.copy(TESTS.parent / 'pytest.ini', suite / 'pytest.ini')
    (suite / 'test_good.py').write_text(MODULE.format(name='good', ok=True))
    (suite / 'test_bad.py').write_text(MODULE.format(name='bad', ok=False))
    base = tmp_path / 'base'  # given: pytest keeps it at the end
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         f'--basetemp={base}', str(suite)],
        cwd=suite, capture_output=True, text=True, timeout=600)
    assert '1 failed, 3 passed' in proc.stdout, proc.stdout[-2000:]
    left = sorted(p.name for p in base.iterdir() if not p.is_symlink())
    # the failed module keeps its fixture folder and the failed test's
    # tmp_path; its passed test's tmp_path and the passed module's go
    assert left == ['bad_fixture0', 'test_second0'], left
    assert (base / 'bad_fixture0' / 'checkpoint.pth').is_file()
