"""tools/compare.py: both sides evaluated, the table and its deltas."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from fixtures import make_voc_fixture
from test_train_semples import TINY, run

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools'))
from compare import PAIRS, check_same_split, comparison_markdown  # noqa


def test_table_deltas_by_hand():
    base = dict(seed=60.0, seed_threshold=0.4, mask=70.0, mask_threshold=0.43,
                seed_per_class=dict(background=80.0, cat=40.0, dog=np.nan))
    ours = dict(seed=62.5, seed_threshold=0.45, mask=69.0,
                mask_threshold=0.43,
                seed_per_class=dict(background=81.0, cat=44.0, dog=10.0))
    table = comparison_markdown('weaktr', base, ours)
    assert '| seed mIoU | 60.0 (t=0.40) | 62.5 (t=0.45) | +2.5 |' in table
    assert '| mask mIoU | 70.0 (t=0.43) | 69.0 (t=0.43) | -1.0 |' in table
    assert '| seed IoU cat | 40.0 | 44.0 | +4.0 |' in table
    assert '| seed IoU dog | - | 10.0 | - |' in table


@pytest.mark.slow
def test_compare_runs_both_sides(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    model_cfg = Config.fromfile(TINY).model
    for seed, name in ((0, 'base.pth'), (1, 'ours.pth')):
        torch.manual_seed(seed)
        model = MODELS.build(model_cfg)
        torch.save({'state_dict': model.state_dict()}, tmp_path / name)
    out = tmp_path / 'cmp'
    log = run([sys.executable, 'tools/compare.py', 'toy', '--baseline-ckpt',
               str(tmp_path / 'base.pth'), '--semples-ckpt',
               str(tmp_path / 'ours.pth'), '--baseline-config', TINY,
               '--semples-config', TINY, '--out-dir', str(out),
               '--data-root', str(tmp_path / 'data')])
    assert '| seed mIoU |' in log and '| mask mIoU |' in log
    assert len(list((out / 'baseline_masks').glob('*.png'))) == 2
    assert (out / 'comparison.md').read_text().startswith('| toy |')


@pytest.mark.slow
def test_unknown_name_is_named(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/compare.py', 'nosuch', '--baseline-ckpt', 'a',
         '--semples-ckpt', 'b'], cwd=REPO,
        capture_output=True, text=True)
    assert proc.returncode != 0 and "unknown baseline 'nosuch'" in proc.stderr


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_each_pair_scores_both_sides_on_one_split(name):
    base, ours = PAIRS[name]
    cfgs = [Config.fromfile(str(REPO / path)) for path in (base, ours)]
    check_same_split(*cfgs, base, ours)  # raises SystemExit if not
    expected = dict(weaktr_coco90='COCO90WeakDataset',
                    weaktr_coco='COCOWeakDataset',
                    clims_coco='COCOWeakDataset').get(name, 'VOCWeakDataset')
    assert cfgs[0].test_dataloader.dataset.type == expected


def test_sides_on_different_splits_are_named():
    coco = 'configs/weaktr/weaktr_coco.py'
    with pytest.raises(SystemExit, match=r'dataset\.type is '
                       r"'COCOWeakDataset' in configs/weaktr/weaktr_coco.*"
                       r"'VOCWeakDataset' in .*semples_tiny_fixture"):
        check_same_split(Config.fromfile(str(REPO / coco)),
                         Config.fromfile(TINY), coco, TINY)
