"""tools/train.py checks every input of the config before building anything
and names all missing ones in one message."""
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mmengine.config import Config

from fixtures import make_voc_fixture
from semples_mmseg.utils.preflight import collect_missing_inputs

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


@pytest.mark.slow
def test_three_missing_inputs_in_one_error(tmp_path):
    start = time.time()
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', TINY, '--work-dir',
         str(tmp_path / 'work'), '--cfg-options',
         f'train_dataloader.dataset.data_root={tmp_path}/no_voc',
         f'val_dataloader.dataset.data_root={tmp_path}/no_voc',
         f'test_dataloader.dataset.data_root={tmp_path}/no_voc',
         f'model.cam_net.pretrained={tmp_path}/weaktr_cam.pth',
         f'model.clip_guide.pretrained={tmp_path}/ViT-B-32.pt'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    elapsed = time.time() - start
    print(f'pre-flight failure after {elapsed:.1f} s (including imports)')
    assert proc.returncode != 0
    err = proc.stderr
    assert '3 input(s) of' in err
    assert f'{tmp_path}/no_voc: dir does not exist' in err
    assert 'JPEGImages/' in err  # the expected layout
    assert f'model.cam_net.pretrained = {tmp_path}/weaktr_cam.pth' in err
    assert 'weaktr2semples.py' in err  # where it comes from
    assert f'model.clip_guide.pretrained = {tmp_path}/ViT-B-32.pt' in err
    # nothing was built: no model, no dataset, no config dump
    assert 'SemPLeS stage' not in proc.stdout + err
    assert 'Config:' not in proc.stdout + err
    assert not (tmp_path / 'work').exists()


def test_missing_files_below_an_existing_root(tmp_path):
    make_voc_fixture(str(tmp_path), num_images=2, write_label_file=False,
                     write_xml=False)
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(tmp_path)
    cfg.val_dataloader.dataset.ann_file = 'ImageSets/Segmentation/nope.txt'
    cfg.train_cfg.cam_init_checkpoint = str(tmp_path / 'init.pth')
    lines = collect_missing_inputs(cfg, 'train')
    text = '\n'.join(lines)
    assert len(lines) == 3, text
    assert f'{tmp_path}/Annotations: ' in text  # the XML labels
    assert 'val_dataloader.dataset.ann_file' in text
    assert 'train_cfg.cam_init_checkpoint' in text
    # inference reads the test split and the checkpoint only
    cfg.load_from = str(tmp_path / 'best.pth')
    test_lines = collect_missing_inputs(cfg, 'test')
    assert len(test_lines) == 2 and 'checkpoint = ' in test_lines[1]
