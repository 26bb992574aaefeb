"""The IRNet route on a VOC fixture, step by step through its commands:
CAM files, IR labels, the boundary network trained by tools/train.py, the
random walk's masks and their scores; resumes and inputs that do not fit."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.registry import DATASETS, MODELS
from fixtures import make_voc_fixture
from fixtures import write_voc_xml

REPO = Path(__file__).resolve().parents[2]
CAM_CONFIG = str(REPO / 'tests/data/configs/semples_clims_tiny_fixture.py')
IRN_CONFIG = str(REPO / 'tests/data/configs/irn_tiny_fixture.py')
LIST = 'ImageSets/Segmentation/train_aug.txt'
EMPTY = '2007_000003'  # its annotation lists no object

pytestmark = pytest.mark.slow


def tool(name):
    """``main`` of tools/irn/{name}.py, imported here."""
    path = REPO / 'tools/irn' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'irn_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def cam_step(root, out, *extra):
    tool('make_irn_cams')([
        CAM_CONFIG, str(root / 'cam.pth'), '--out-dir', str(out),
        '--ann-file', LIST, '--workers', '0', *extra, '--cfg-options',
        f'test_dataloader.dataset.data_root={root / "data"}'])


def data_options(root):
    return [f'pseudo_mask_dataset.data_root={root / "data"}',
            f'score_dataset.data_root={root / "data"}',
            'score_dataset.ann_file=ImageSets/Segmentation/train.txt']


def ir_label_step(root, out, *extra, cams=None, options=()):
    tool('make_ir_labels')([
        IRN_CONFIG, '--cam-dir', str(cams or root / 'cams'), '--out-dir',
        str(out), '--workers', '0', *extra, '--cfg-options',
        *data_options(root), *options])


def sem_seg_step(root, out, *extra, cams=None):
    tool('make_sem_seg')([
        IRN_CONFIG, str(root / 'irn/epoch_1.pth'), '--cam-dir',
        str(cams or root / 'cams'), '--out-dir', str(out), '--workers', '0',
        *extra, '--cfg-options', *data_options(root)])


@pytest.fixture(scope='module')
def route(tmp_path_factory):
    root = tmp_path_factory.mktemp('irn')
    written = make_voc_fixture(str(root / 'data'), num_images=6)
    write_voc_xml(str(root / 'data/Annotations' / f'{EMPTY}.xml'), EMPTY,
                  (64, 80), [])
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CAM_CONFIG).model)
    torch.save({'state_dict': model.state_dict()}, root / 'cam.pth')
    cam_step(root, root / 'cams')
    ir_label_step(root, root / 'ir_label')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', IRN_CONFIG, '--work-dir',
         str(root / 'irn'), '--cfg-options',
         f'train_dataloader.dataset.data_root={root / "data"}',
         'train_dataloader.dataset.data_prefix.seg_map_path='
         f'{root / "ir_label"}'],
        cwd=REPO, capture_output=True, text=True, timeout=900,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root, written


def test_cam_files_hold_the_image_classes_at_both_sizes(route):
    root, written = route
    settings = json.loads((root / 'cams/pseudo_mask_settings.json')
                          .read_text())
    assert settings['classes'][0] == 'background'
    assert settings['scales'] == [1.0] and settings['flip'] is True
    for img_id, labels in zip(written['ids'], written['labels']):
        with np.load(root / 'cams' / f'{img_id}.npz') as cams:
            keys = [] if img_id == EMPTY else np.flatnonzero(labels).tolist()
            assert cams['keys'].tolist() == keys
            assert cams['high_res'].shape == (len(keys), 64, 80)
            assert cams['cam_s4'].shape == (len(keys), 16, 20)
            for name in ('high_res', 'cam_s4'):  # each class / its max
                peak = cams[name].max(axis=(1, 2)) if keys else np.ones(0)
                assert np.all((np.abs(peak - 1) < 1e-4) | (peak == 0))


def test_ir_labels_use_background_classes_and_uncertain(route):
    root, written = route
    for img_id, labels in zip(written['ids'], written['labels']):
        label = np.array(Image.open(root / 'ir_label' / f'{img_id}.png'))
        assert label.shape == (64, 80)
        allowed = {0, 255} | {k + 1 for k in np.flatnonzero(labels)}
        assert set(np.unique(label).tolist()) <= allowed
    assert (np.array(Image.open(root / 'ir_label' / f'{EMPTY}.png')) ==
            0).all()


def test_the_boundary_network_checkpoint_holds_backbone_and_branch(route):
    root, _ = route
    state = torch.load(root / 'irn/epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert any(k.startswith('backbone.layer4.') for k in state)
    assert any(k.startswith('branch.fuse.') for k in state)


def test_masks_scored_and_the_empty_image_is_background(route, capsys):
    root, written = route
    sem_seg_step(root, root / 'sem_seg')
    out = capsys.readouterr().out
    assert '6 of 6 masks to write' in out
    assert f'1 image(s) have no image-level class and are all background: '\
        f'{EMPTY}.jpg' in out
    for img_id, labels in zip(written['ids'], written['labels']):
        mask = np.array(Image.open(root / 'sem_seg' / f'{img_id}.png'))
        assert mask.shape == (64, 80)
        allowed = {0} | {k + 1 for k in np.flatnonzero(labels)}
        assert set(np.unique(mask).tolist()) <= allowed
    assert (np.array(Image.open(root / 'sem_seg' / f'{EMPTY}.png')) ==
            0).all()
    # scored on train (the first three images) against VOC's masks
    scores = json.loads((root / 'sem_seg/scores.json').read_text())
    conf = np.zeros((21, 21), np.int64)
    for img_id in written['ids'][:3]:
        gt = np.array(Image.open(root / 'data/SegmentationClass' /
                                 f'{img_id}.png'))
        mask = np.array(Image.open(root / 'sem_seg' / f'{img_id}.png'))
        valid = gt != 255
        np.add.at(conf, (gt[valid], mask[valid]), 1)
    inter = np.diag(conf)
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = inter / (conf.sum(0) + conf.sum(1) - inter)
    assert scores['images'] == 3
    assert scores['mIoU'] == pytest.approx(round(np.nanmean(iou) * 100, 2))


def test_resume_redoes_only_what_is_missing(route, capsys):
    root, written = route
    out = root / 'ir_label_resume'
    ir_label_step(root, out)
    (out / f'{written["ids"][1]}.png').unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob('*.png')}
    capsys.readouterr()
    with pytest.raises(SystemExit, match='--resume'):
        ir_label_step(root, out)
    ir_label_step(root, out, '--resume')
    assert '1 of 6 IR labels to write' in capsys.readouterr().out
    assert all((out / n).stat().st_mtime_ns == t for n, t in kept.items())
    with pytest.raises(SystemExit, match='fg_threshold: 0.3'):
        ir_label_step(root, out, '--resume',
                      options=['ir_labels.fg_threshold=0.5'])


def test_cam_folders_that_do_not_fit_are_named_before_compute(route,
                                                              tmp_path):
    root, written = route
    cams = tmp_path / 'cams'
    cams.mkdir()
    for f in (root / 'cams').iterdir():
        (cams / f.name).write_bytes(f.read_bytes())
    (cams / f'{written["ids"][2]}.npz').unlink()
    with np.load(cams / f'{written["ids"][4]}.npz') as data:
        arrays = dict(data)
    arrays['high_res'] = arrays['high_res'][:, :32]
    np.savez(cams / f'{written["ids"][4]}.npz', **arrays)
    with pytest.raises(SystemExit) as err:
        ir_label_step(root, tmp_path / 'ir', cams=cams)
    text = str(err.value)
    assert f'{cams / written["ids"][2]}.npz: missing' in text
    assert f'{cams / written["ids"][4]}.npz: high_res is' in text
    assert not list((tmp_path / 'ir').glob('*.png'))
    with pytest.raises(SystemExit, match=f'{written["ids"][2]}.npz'):
        sem_seg_step(root, tmp_path / 'sem', cams=cams)
    assert not list((tmp_path / 'sem').glob('*.png'))
    settings = json.loads((cams / 'pseudo_mask_settings.json').read_text())
    settings['classes'] = settings['classes'][:5]
    (cams / 'pseudo_mask_settings.json').write_text(json.dumps(settings))
    with pytest.raises(SystemExit, match='the CAMs are of the classes'):
        ir_label_step(root, tmp_path / 'ir2', cams=cams)


def test_an_ir_label_folder_missing_an_image_is_named_at_build(route):
    root, written = route
    cfg = Config.fromfile(IRN_CONFIG)
    dataset = dict(cfg.train_dataloader.dataset)
    dataset['data_root'] = str(root / 'data')
    dataset['data_prefix'] = dict(img_path='JPEGImages',
                                  seg_map_path=str(root / 'ir_label_gap'))
    (root / 'ir_label_gap').mkdir()
    for f in (root / 'ir_label').glob('*.png'):
        if f.stem != written['ids'][5]:
            (root / 'ir_label_gap' / f.name).write_bytes(f.read_bytes())
    with pytest.raises(FileNotFoundError, match=f'{written["ids"][5]}.png'):
        DATASETS.build(dataset)
