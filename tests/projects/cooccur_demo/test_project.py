"""The demo is a project beside the library: its configs register it with
``custom_imports``, the library never imports or names it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / 'projects' / 'cooccur_demo'
CONFIGS = PROJECT / 'configs'


def test_the_library_never_names_the_demo_package():
    hits = [str(p.relative_to(REPO)) for p in (REPO / 'semples_mmseg').rglob(
        '*.py') if 'cooccur_demo' in p.read_text()]
    assert hits == []


def test_demo_configs_import_the_librarys_modules_and_the_demo():
    library = Config.fromfile(str(
        REPO / 'configs/_base_/semples_imports.py')).custom_imports
    demo = Config.fromfile(str(CONFIGS / '_base_/demo_runtime.py'))
    assert demo.custom_imports.imports == library.imports + ['cooccur_demo']
    assert demo.custom_imports.allow_failed_imports is False


def test_toy_configs_have_their_own_threshold_and_explicit_threshold_rule():
    for config, threshold in (('weaktr/toy_cooccur.py', 0.36),
                              ('semples/toy_cooccur.py', 0.30)):
        cfg = Config.fromfile(str(CONFIGS / config))
        assert cfg.model.test_cfg.bg_threshold == threshold  # not VOC's 0.43
        for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
            assert evaluator.threshold_rule == 'max'
            assert tuple(evaluator.threshold_range) == (0.05, 0.96, 0.01)


@pytest.mark.slow
def test_importing_the_library_leaves_the_demo_out_until_a_config_asks():
    code = (
        'import sys\n'
        'import semples_mmseg\n'
        "print('after library', 'cooccur_demo' in sys.modules)\n"
        'from mmengine.config import Config\n'
        f"Config.fromfile({str(CONFIGS / 'weaktr/toy_cooccur.py')!r})\n"
        'from mmseg.registry import DATASETS, MODELS\n'
        "print('after config', DATASETS.get('CooccurWorldDataset').__name__,"
        " MODELS.get('HomeSceneImagePrompts').__name__)\n")
    path = os.pathsep.join([str(REPO), str(PROJECT)] + os.environ.get(
        'PYTHONPATH', '').split(os.pathsep))
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'after library False' in proc.stdout
    assert ('after config CooccurWorldDataset HomeSceneImagePrompts'
            in proc.stdout)
