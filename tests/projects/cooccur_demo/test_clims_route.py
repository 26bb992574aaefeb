"""The CLIMS route on the world, small: one command from the baseline CAM
to DeepLab-V2, every step's files written and read back, the table, a rerun
that reuses every phase; the IR-label quality score by hand."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cooccur_demo.clims_route import (SIDES, ClimsRoute, best_checkpoint,
                                      ir_label_quality, planned_phases,
                                      results_markdown, scaled_thresholds)
from cooccur_demo.phase_records import STARTED, started

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / 'projects' / 'cooccur_demo'
TOOL = PROJECT / 'tools' / 'clims_route.py'
IRN_CONFIG = PROJECT / 'configs' / 'irn' / 'toy_irn_cooccur.py'


def test_ir_label_quality_by_hand(tmp_path):
    labels, gts = tmp_path / 'ir_label', tmp_path / 'gt'
    labels.mkdir()
    gts.mkdir()
    # 2 x 3: GT [[0, 1, 1], [255, 2, 0]]; IR [[0, 1, 255], [1, 2, 2]]
    Image.fromarray(np.array([[0, 1, 255], [1, 2, 2]], np.uint8)).save(
        labels / 'a.png')
    Image.fromarray(np.array([[0, 1, 1], [255, 2, 0]], np.uint8)).save(
        gts / 'a.png')
    quality = ir_label_quality(str(labels),
                               [('x/a.jpg', str(gts / 'a.png'))])
    # 5 GT-labelled pixels, 4 of them committed (not 255), 3 of those right
    assert quality == pytest.approx(dict(coverage=80.0, accuracy=75.0))


def test_planned_phases_follow_the_stop():
    assert list(planned_phases('pair')) == [
        'baseline CAM', 'CLIMS', 'CLIMS: seeds', 'SemPLeS on CLIMS',
        'SemPLeS on CLIMS: seeds', 'baseline CAM: seeds']
    assert list(planned_phases('pair', ['semples'])) == [
        'baseline CAM', 'SemPLeS on CLIMS', 'SemPLeS on CLIMS: seeds']
    full = planned_phases('deeplab')
    clims_only = planned_phases('deeplab', ir_thresholds=['clims'])
    for name, _ in SIDES:
        for step in ('IRNet CAMs', 'IR labels', 'boundary branch',
                     'random walk', 'DeepLab-V2'):
            assert f'{name}: {step}' in full
            assert f'{name}: {step}' in clims_only
        # the CAM files serve both thresholds; the steps after them run
        # once more with the scaled ones, after CLIMS's
        for step in ('IR labels', 'boundary branch', 'random walk',
                     'DeepLab-V2'):
            assert f'{name}: {step} (scaled)' in full
            assert f'{name}: {step} (scaled)' not in clims_only
        names = list(full)
        assert (names.index(f'{name}: DeepLab-V2') <
                names.index(f'{name}: IR labels (scaled)'))
        assert f'{name}: IRNet CAMs (scaled)' not in full
    assert len(full) == len(clims_only) + 8


def test_scaled_thresholds_by_hand():
    # power ln 0.70 / ln 0.15 = 0.18802: 0.30 -> 0.7974, 0.10 -> 0.6486,
    # 0.2 -> 0.7389 (CLIMS's IR labels and walk background)
    assert scaled_thresholds(str(IRN_CONFIG), 0.70) == {
        'ir_labels.fg_threshold': 0.7974,
        'ir_labels.bg_threshold': 0.6486,
        'random_walk.bg_threshold': 0.7389}
    # CAMs at CLIMS's own seed threshold keep CLIMS's constants
    assert scaled_thresholds(str(IRN_CONFIG), 0.15) == {
        'ir_labels.fg_threshold': 0.3, 'ir_labels.bg_threshold': 0.1,
        'random_walk.bg_threshold': 0.2}
    # a lower seed threshold lowers them: 0.05 ** (ln 0.05 / ln 0.15)...
    low = scaled_thresholds(str(IRN_CONFIG), 0.05)
    assert low['ir_labels.fg_threshold'] == pytest.approx(
        0.3**(np.log(0.05) / np.log(0.15)), abs=1e-4)
    assert low['ir_labels.bg_threshold'] < 0.05 < low[
        'ir_labels.fg_threshold']
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match='seed_threshold'):
            scaled_thresholds(str(IRN_CONFIG), bad)


def test_unknown_ir_thresholds_are_refused(tmp_path):

    class Exp:
        work, small = str(tmp_path), False

    for bad in (['clims', 'percentile'], []):
        with pytest.raises(ValueError, match='ir_thresholds'):
            ClimsRoute(Exp(), files=None, ir_thresholds=bad)


def run_in(cwd, args):
    env = dict(os.environ, SEMPLES_CACHE=str(Path(cwd) / 'cache'),
               PYTHONPATH=os.pathsep.join(
                   [str(REPO), str(PROJECT)] +
                   os.environ.get('PYTHONPATH', '').split(os.pathsep)))
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          timeout=2400, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def route(tmp_path_factory):
    root = tmp_path_factory.mktemp('route')
    log = run_in(root, [sys.executable, str(TOOL), '--small'])
    return root / 'work_dirs' / 'cooccur' / 'clims_route', log


@pytest.mark.slow
def test_route_writes_every_step_and_the_table(route):
    folder, log = route
    assert (folder / 'cam.pth').is_file()
    state = torch.load(folder / 'cam.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert state['cam_net.classifier.weight'].shape == (6, 2048, 1, 1)
    train_ids = (folder / 'small_train.txt').read_text().split()
    assert len(train_ids) == 8
    for _, side in SIDES:
        base = folder / side
        cams = np.load(base / 'cams' / f'{train_ids[0]}.npz')
        assert cams['high_res'].shape[1:] == (96, 96)
        assert cams['cam_s4'].shape[1:] == (24, 24)
        for step in ('ir_label', 'sem_seg', 'seeds/masks'):
            masks = sorted(p.stem for p in (base / step).glob('*.png'))
            assert masks == sorted(train_ids), step
        label = np.array(Image.open(base / 'ir_label' / f'{train_ids[0]}.png'))
        assert set(np.unique(label)) <= {0, 1, 2, 3, 4, 5, 6, 255}
        for out in (base, base / 'scaled'):
            walk = json.loads((out / 'sem_seg' / 'scores.json').read_text())
            assert walk['images'] == 8 and 0 <= walk['mIoU'] <= 100
            deeplab = json.loads((out / 'deeplab' / 'test.json').read_text())
            assert 0 <= deeplab['mIoU'] <= 100
            for step in ('ir_label', 'sem_seg'):
                masks = sorted(p.stem for p in (out / step).glob('*.png'))
                assert masks == sorted(train_ids), (out, step)
    results = json.loads((folder / 'results.json').read_text())
    assert results['upto'] == 'deeplab'
    for _, side in SIDES:
        side_scores = results[side]
        assert 0.05 <= side_scores['threshold'] <= 0.95
        assert 0 <= side_scores['crf_masks'] <= 100
        assert 0 <= side_scores['ir_labels']['accuracy'] <= 100
        # the scaled run used the side's own seed threshold
        assert side_scores['scaled']['thresholds'] == scaled_thresholds(
            str(IRN_CONFIG), side_scores['threshold'])
        assert 0 <= side_scores['scaled']['walk']['mIoU'] <= 100
    table = (folder / 'results.md').read_text()
    assert table == results_markdown(results) + '\n'
    for row in ('seed mIoU, val', 'threshold + CRF masks, train',
                'IRNet random-walk masks, train',
                'DeepLab-V2 on the walk masks, val',
                'IRNet random-walk masks (scaled), train',
                'DeepLab-V2 on the walk masks (scaled), val',
                'scaled thresholds (IR fg / IR bg / walk bg)'):
        assert f'| {row}' in table
    assert 'running ' in log and 'make_sem_seg.py' in log


@pytest.mark.slow
def test_rerun_with_a_process_per_side_reuses_every_phase(route):
    folder, _ = route
    root = folder.parents[2]
    table = (folder / 'results.md').read_text()
    log = run_in(root, [sys.executable, str(TOOL), '--small', '--jobs', '2'])
    assert 'running ' not in log and 'training ' not in log
    # world, toy CLIP and every planned phase, each side's log the same
    assert log.count('reusing') == len(planned_phases('deeplab')) + 2
    for side in ('clims', 'semples'):
        side_log = (folder / f'{side}.log').read_text()
        assert side_log.count('reusing') == len(
            planned_phases('deeplab', [side])) + 2
        assert 'running ' not in side_log and 'training ' not in side_log
    assert (folder / 'results.md').read_text() == table


def test_an_interrupted_training_continues_only_with_its_fingerprint(
        tmp_path):
    calls = []

    class Exp:  # the experiment's training tool, recorded
        work, small = str(tmp_path), False
        log = staticmethod(lambda line: None)

        @staticmethod
        def train_subprocess(config, folder, options, log, resume):
            calls.append(resume)

    route = ClimsRoute(Exp(), files=None)
    folder = tmp_path / 'clims'
    folder.mkdir()
    stale = ['epoch_7.pth', 'best_mIoU_epoch_4.pth', 'last_checkpoint']
    for name in stale + ['cam.pth']:
        (folder / name).write_bytes(b'')
    route.train('c.py', str(folder), [], 'key-a')  # first start
    assert calls == [False]
    assert json.loads((folder / STARTED).read_text()) == dict(
        fingerprint='key-a')
    # another training's checkpoints are gone, other files stay
    assert sorted(p.name for p in folder.iterdir()) == ['cam.pth', STARTED]
    route.train('c.py', str(folder), [], 'key-a')  # no checkpoint yet
    assert calls == [False, False]
    checkpoint = folder / 'epoch_3.pth'
    checkpoint.write_bytes(b'')
    route.train('c.py', str(folder), [], 'key-a')  # same inputs: resume
    assert calls[-1] is True and checkpoint.is_file()
    # a checkpoint older than the recorded start is not this training's
    marker = os.path.getmtime(folder / STARTED)
    os.utime(checkpoint, (marker - 10, marker - 10))
    assert not started(str(folder), 'key-a')
    os.utime(checkpoint, (marker + 10, marker + 10))
    assert started(str(folder), 'key-a')
    route.train('c.py', str(folder), [], 'key-b')  # other inputs: afresh
    assert calls[-1] is False and not checkpoint.exists()
    assert not started(str(folder), 'key-a')


def test_the_best_checkpoint_is_the_highest_epoch(tmp_path):
    for name in ('best_mIoU_epoch_4.pth', 'best_mIoU_epoch_12.pth',
                 'epoch_20.pth'):
        (tmp_path / name).write_bytes(b'')
    assert best_checkpoint(str(tmp_path)) == str(
        tmp_path / 'best_mIoU_epoch_12.pth')
    (tmp_path / 'best_mIoU_epoch_4.pth').unlink()
    (tmp_path / 'best_mIoU_epoch_12.pth').unlink()
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        best_checkpoint(str(tmp_path))
