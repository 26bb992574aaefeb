"""tools/analysis_tools/verify_dataset.py: one pass over a prepared tree:
counts, images, labels, masks; exit 1 naming what is wrong."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from semples_mmseg.datasets.tree_check import expected_count, verify_tree
from fixtures import make_voc_aug_fixture, make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/analysis_tools/verify_dataset.py'
WEAKTR = 'configs/weaktr/weaktr_voc.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('verify_dataset', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def roots_of(root, splits=('train', 'val', 'test')):
    return [f'{s}_dataloader.dataset.data_root={root}' for s in splits]


def run_tool(config, root, *extra, options=None, capsys=None):
    """The tool's main() in this process: (exit code, printed text)."""
    options = roots_of(root) if options is None else options
    code = load_tool().main([str(REPO / config), *extra, '--cfg-options',
                             *options])
    return code, capsys.readouterr().out


@pytest.mark.slow
def test_the_command_line_exits_1_naming_the_problem(tmp_path):
    root = tmp_path / 'aug'
    make_voc_aug_fixture(str(root))
    proc = subprocess.run(
        [sys.executable, str(TOOL), WEAKTR, '--split', 'val', '--expect',
         'val=5', '--cfg-options', *roots_of(root)], cwd=REPO,
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'train.txt lists 4 images, 5 expected' in proc.stdout


@pytest.fixture
def voc_aug(tmp_path):
    info = make_voc_aug_fixture(str(tmp_path / 'aug'))
    return tmp_path / 'aug', info['lists']


def test_known_counts_are_the_full_downloads():
    cfg = Config.fromfile(str(REPO / WEAKTR))
    assert expected_count(cfg.train_dataloader.dataset) == 10582
    assert expected_count(cfg.val_dataloader.dataset) == 1464
    # a dataset of no known download (e.g. a project's) expects no count
    assert expected_count(dict(type='MyWorldDataset',
                               ann_file='train.txt')) is None


def test_mmseg_voc_aug_tree_passes(voc_aug, capsys):
    root, lists = voc_aug
    code, out = run_tool(WEAKTR, root, '--expect',
                         f"train={len(lists['trainaug'])}",
                         f"val={len(lists['train'])}", capsys=capsys)
    assert code == 0, out
    assert 'OK: every split checked is complete' in out
    summary = out[out.index('verify_dataset:'):]
    assert len(summary.splitlines()) < 25  # one screen
    assert f"trainaug.txt  {len(lists['trainaug'])}" in summary
    assert '4/4' in summary  # the validated split's masks
    assert 'same files as val' in summary  # test reads what val reads


def test_real_counts_are_expected_by_default(voc_aug, capsys):
    root, lists = voc_aug
    code, out = run_tool(WEAKTR, root, capsys=capsys)
    assert code == 1
    assert (f"trainaug.txt lists {len(lists['trainaug'])} images, 10582 "
            'expected') in out
    assert 'train.txt lists 4 images, 1464 expected' in out


def test_wrong_count_is_named(voc_aug, capsys):
    root, lists = voc_aug
    code, out = run_tool(WEAKTR, root, '--split', 'val', '--expect', 'val=5',
                         capsys=capsys)
    assert code == 1
    assert 'train.txt lists 4 images, 5 expected' in out
    assert 'FAILED: 1 problem(s)' in out


def test_missing_image_is_named(voc_aug, capsys):
    root, lists = voc_aug
    gone = root / 'JPEGImages' / f"{lists['trainaug'][2]}.jpg"
    gone.unlink()
    code, out = run_tool(WEAKTR, root, '--expect',
                         f"train={len(lists['trainaug'])}", 'val=4',
                         capsys=capsys)
    assert code == 1
    assert f'image {gone} does not exist' in out
    assert '[train]' in out and '[val]' not in out


def test_missing_mask_of_a_validated_split_is_named(voc_aug, capsys):
    root, lists = voc_aug
    gone = root / 'SegmentationClass' / f"{lists['train'][1]}.png"
    gone.unlink()
    code, out = run_tool(WEAKTR, root, '--split', 'val', '--expect', 'val=4',
                         capsys=capsys)
    assert code == 1
    assert f'1 mask(s) missing (this split reads masks): {gone}' in out
    assert '3/4' in out


def test_bad_mask_and_wrong_class_count_are_named(tmp_path):
    root = tmp_path / 'fx'
    make_voc_fixture(str(root), num_images=4)
    (root / 'SegmentationClass' / '2007_000001.png').write_bytes(b'not png')
    cfg = Config.fromfile(str(REPO / WEAKTR))
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(root)
    cfg.train_dataloader.dataset.ann_file = 'ImageSets/Segmentation/train_aug.txt'
    cfg.model.cam_net.num_classes = 80
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    reports = verify_tree(cfg, expected=dict(train=4, val=2, test=2))
    by_split = {r.split: r for r in reports}
    assert by_split['test'].same_as == 'val'
    assert any('the dataset has 20 classes, the CAM network '
               '(model.cam_net.num_classes) 80' in p
               for p in by_split['train'].problems)
    val = ' '.join(by_split['val'].problems)
    assert 'SegmentationClass/2007_000001.png cannot be decoded' in val


def test_label_free_configs_need_no_masks(tmp_path, capsys):
    # semples_weaktr-deit-s_8xb8-3x60e-last-epoch_voc-224.py reads no validation split; the training split's
    # labels come from the XML files: a tree without masks passes
    root = tmp_path / 'fx'
    make_voc_fixture(str(root), num_images=4)
    import shutil
    for folder in ('SegmentationClass', 'SegmentationClassAug'):
        shutil.rmtree(root / folder)
    code, out = run_tool('configs/semples/semples_weaktr-deit-s_8xb8-3x60e-last-epoch_voc-224.py', root,
                         '--split', 'train', '--expect', 'train=4',
                         options=roots_of(root, ['train']) + [
                             'train_dataloader.dataset.ann_file='
                             'ImageSets/Segmentation/train_aug.txt'],
                         capsys=capsys)
    assert code == 0, out
    assert 'not read' in out


def test_held_out_split_of_the_label_free_config_reads_no_masks(tmp_path,
                                                                capsys):
    root = tmp_path / 'fx'
    make_voc_fixture(str(root), num_images=4)
    import shutil
    for folder in ('SegmentationClass', 'SegmentationClassAug'):
        shutil.rmtree(root / folder)
    code, out = run_tool('configs/semples/semples_weaktr-deit-s_8xb8-3x60e-labelfree_voc-224.py', root,
                         '--split', 'val', '--expect', 'val=2',
                         capsys=capsys)
    assert code == 0, out
    assert 'not read' in out
    # the test split (seed evaluation) does need them
    code, out = run_tool('configs/semples/semples_weaktr-deit-s_8xb8-3x60e-labelfree_voc-224.py', root,
                         '--split', 'test', '--expect', 'test=2',
                         capsys=capsys)
    assert code == 1
    assert 'test_dataloader.dataset.data_prefix.seg_map_path' in out
