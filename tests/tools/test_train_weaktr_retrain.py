"""tools/train.py and tools/test.py --tta on the retraining config (tiny
model, a VOC fixture whose GT masks stand in for pseudo masks)."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / 'tests/data/configs/weaktr_retrain_tiny_fixture.py'
# one epoch; evaluation at an eighth of the view sizes, 64-pixel windows
SMALL = f'''
_base_ = [{str(TINY)!r}]
train_cfg = dict(max_epochs=1, val_interval=1)
model = dict(test_cfg=dict(crop_size=(64, 64), stride=(40, 40)))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(520, 65), keep_ratio=True),
    dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(520 * r, 65 * r), keep_ratio=True)
         for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]])]
'''


def tool(*args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=1800)
    return proc


def data_options(root):
    options = []
    for split in ('train', 'val', 'test'):
        options += [f'{split}_dataloader.dataset.data_root={root}',
                    f'{split}_dataloader.num_workers=0',
                    f'{split}_dataloader.persistent_workers=False']
    return options


@pytest.mark.slow
def test_train_then_test_with_the_twelve_view_protocol(tmp_path):
    root = tmp_path / 'voc'
    written = make_voc_fixture(str(root), num_images=6)
    shutil.copytree(root / 'SegmentationClassAug', root / 'pseudo_masks')
    config = tmp_path / 'small.py'
    config.write_text(SMALL)
    work = tmp_path / 'work'
    proc = tool('tools/train.py', str(config), '--work-dir', str(work),
                '--cfg-options', *data_options(root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'decode.loss_gcd' in proc.stdout + proc.stderr
    assert (work / 'epoch_1.pth').is_file()
    proc = tool('tools/test.py', str(config), str(work / 'epoch_1.pth'),
                '--tta', '--work-dir', str(tmp_path / 'test'), '--out',
                str(tmp_path / 'preds'), '--cfg-options',
                *[o for o in data_options(root) if o.startswith('test_')])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'mIoU' in proc.stdout + proc.stderr
    val_ids = written['ids'][3:]  # the fixture's val half
    for img_id in val_ids:
        pred = np.array(Image.open(tmp_path / 'preds' / f'{img_id}.png'))
        assert pred.shape == (64, 80) and pred.max() <= 20


@pytest.mark.slow
def test_a_pseudo_mask_folder_with_gaps_stops_training_first(tmp_path):
    root = tmp_path / 'voc'
    written = make_voc_fixture(str(root), num_images=6)
    shutil.copytree(root / 'SegmentationClassAug', root / 'pseudo_masks')
    (root / 'pseudo_masks' / f"{written['ids'][1]}.png").unlink()
    proc = tool('tools/train.py', str(TINY), '--work-dir',
                str(tmp_path / 'work'), '--cfg-options', *data_options(root))
    assert proc.returncode != 0
    assert f"pseudo_masks/{written['ids'][1]}.png does not exist" in \
        proc.stderr
    assert not list((tmp_path / 'work').rglob('*.pth'))
