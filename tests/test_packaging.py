"""What `pip install semples_mmseg` gets.

A copy of the source tree is built the way pip builds a release: setuptools'
PEP 517 hooks make an sdist, and the wheel is built from the unpacked sdist.
The tests check what the sdist and the wheel carry and run the training
tool of the wheel's ``semples_mmseg/.mim/`` (OpenMMLab's layout,
what ``mim train semples_mmseg CONFIG`` runs) with the package imported
from the wheel, not from this checkout.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ITEMS = ('setup.py', 'MANIFEST.in', 'README.md', 'LICENSE',
                'CITATION.cff', 'model-index.yml', 'semples_mmseg',
                'configs', 'tools', 'docs', 'projects')


def build(hook: str, src: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, '-c',
         f'from setuptools import build_meta; '
         f'print(build_meta.{hook}({str(out)!r}))'],
        cwd=src, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out / proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """(sdist path, wheel path, unpacked wheel dir)."""
    root = tmp_path_factory.mktemp('packaging')
    src = root / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for item in SOURCE_ITEMS:
        path = REPO / item
        if path.is_dir():
            shutil.copytree(path, src / item, ignore=ignore)
        else:
            shutil.copy(path, src / item)
    sdist = build('build_sdist', src, root / 'dist')
    with tarfile.open(sdist) as tar:
        tar.extractall(root / 'sdist', filter='data')
    (unpacked_sdist, ) = (root / 'sdist').iterdir()
    whl = build('build_wheel', unpacked_sdist, root / 'dist')
    with zipfile.ZipFile(whl) as zf:
        zf.extractall(root / 'wheel')
    return sdist, whl, root / 'wheel'


@pytest.mark.slow
def test_sdist_and_wheel_carry_configs_tools_and_model_index(wheel):
    sdist, whl, _ = wheel
    with tarfile.open(sdist) as tar:
        names = {n.split('/', 1)[1] for n in tar.getnames() if '/' in n}
    for need in ('LICENSE', 'model-index.yml', 'tools/train.py',
                 'configs/semples/weaktr_voc.py',
                 'configs/_base_/schedules/semples_3x60e.py',
                 'projects/cooccur_demo/configs/semples/toy_cooccur.py',
                 'projects/cooccur_demo/tools/run_demo.py'):
        assert need in names, need
    with zipfile.ZipFile(whl) as zf:
        names = set(zf.namelist())
    mim = 'semples_mmseg/.mim/'
    for need in ('model-index.yml', 'tools/train.py', 'tools/test.py',
                 'tools/dist_train.sh', 'configs/semples/weaktr_voc.py',
                 'configs/seg/metafile.yaml',
                 'configs/_base_/semples_runtime.py'):
        assert mim + need in names, need
    assert not any('__pycache__' in n for n in names)
    # the demo's package installs beside the library, its configs do not
    assert {'cooccur_demo/__init__.py', 'cooccur_demo/world/dataset.py'
            } <= names
    assert not any('toy_cooccur' in n for n in names)
    repo_configs = {str(p.relative_to(REPO)) for p in
                    (REPO / 'configs').rglob('*') if p.suffix in ('.py',
                                                                  '.yaml')}
    assert {mim + c for c in repo_configs} <= names


@pytest.mark.slow
def test_wheel_mim_train_tool_trains_a_config(wheel, tmp_path):
    """`mim train semples_mmseg CONFIG` runs `.mim/tools/train.py CONFIG
    --launcher none`: that command, with the package of the wheel."""
    from fixtures import make_voc_fixture
    _, _, unpacked = wheel
    mim = unpacked / 'semples_mmseg/.mim'
    data = tmp_path / 'data'
    make_voc_fixture(str(data), num_images=2)
    # the suite's tiny SemPLeS config, placed so that its _base_
    # ('../../../configs/semples/weaktr_voc.py') is the wheel's config
    fixtures = mim / 'tests/data/configs'
    fixtures.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / 'tests/data/configs/semples_tiny_fixture.py', fixtures)
    # ... and the tiny CLIP base it inherits ('../../fixtures/tiny_clip.py')
    (mim / 'tests/fixtures').mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / 'tests/fixtures/tiny_clip.py', mim / 'tests/fixtures')
    (fixtures / 'stage1_only.py').write_text(
        "_base_ = ['./semples_tiny_fixture.py']\n"
        'custom_hooks = []\n'
        'train_cfg = dict(stages=[\n'
        "    dict(stage=1, max_epochs=1, lr=dict(cam_net=5.12e-4))])\n")
    env = dict(os.environ, PYTHONPATH=str(unpacked), OMP_NUM_THREADS='1')
    where = subprocess.run(
        [sys.executable, '-c',
         'import semples_mmseg; print(semples_mmseg.__file__)'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.stdout.splitlines()[-1] == str(
        unpacked / 'semples_mmseg/__init__.py')
    proc = subprocess.run(
        [sys.executable, str(mim / 'tools/train.py'),
         str(fixtures / 'stage1_only.py'), '--launcher', 'none',
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         *[f'{s}_dataloader.dataset.data_root={data}'
           for s in ('train', 'val', 'test')]],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'SemPLeS stage 1 (matching)' in log
    assert (tmp_path / 'work/best_stage1.pth').is_file()


@pytest.mark.slow
def test_package_import_needs_no_optional_extra(tmp_path):
    """Importing the package (and the demo's package and the test fixtures)
    pulls in none of the extras; the COCO converter names the extra it
    needs."""
    blocked = ('pycocotools', 'tensorboard', 'wandb')
    converter = str(REPO / 'tools/dataset_converters/coco2014_weak.py')
    out = str(tmp_path / 'o')
    code = (
        'import sys\n'
        f'for name in {blocked!r}:\n'
        '    sys.modules[name] = None  # an import of it raises ImportError\n'
        'import semples_mmseg, cooccur_demo, fixtures\n'
        'import importlib.util\n'
        'spec = importlib.util.spec_from_file_location(\n'
        f"    'conv', {converter!r})\n"
        'conv = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(conv)\n'
        'try:\n'
        f'    conv.convert_coco2014({str(tmp_path)!r}, {out!r})\n'
        'except ImportError as exc:\n'
        '    print("ERROR:", exc)\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                              str(REPO / p) for p in
                              ('', 'projects/cooccur_demo', 'tests'))))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'ERROR: the COCO converter needs pycocotools: pip install ' \
        '"semples_mmseg[coco]"' in proc.stdout
