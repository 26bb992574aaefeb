"""tools/make_pseudo_masks.py on a VOC fixture with a tiny WeakTr."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.registry import MODELS
from fixtures import make_voc_fixture
from test_train_semples import TINY, data_options, free_port

pytestmark = pytest.mark.slow  # the tool runs in subprocesses

REPO = Path(__file__).resolve().parents[2]


def tool(*args):
    return subprocess.run(
        [sys.executable, 'tools/make_pseudo_masks.py', TINY, *args],
        cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('pseudo')
    written = make_voc_fixture(str(root / 'data'), num_images=6)
    cfg = Config.fromfile(TINY)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict()}, root / 'cam.pth')
    return root, written


def options(root, split='train_aug'):
    return ['--ann-file', f'ImageSets/Segmentation/{split}.txt',
            '--cfg-options', *data_options(root / 'data')]


def test_masks_for_every_image_scored_against_gt(setup):
    root, written = setup
    out = root / 'masks'
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out),
                *options(root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '6 of 6 masks to write' in proc.stdout
    conf = np.zeros((21, 21), np.int64)
    for img_id, labels in zip(written['ids'], written['labels']):
        mask = np.array(Image.open(out / f'{img_id}.png'))
        allowed = {0} | {k + 1 for k in np.flatnonzero(labels)}
        assert set(np.unique(mask).tolist()) <= allowed
        gt = np.array(Image.open(
            root / 'data/SegmentationClassAug' / f'{img_id}.png'))
        valid = gt != 255
        np.add.at(conf, (gt[valid], mask[valid]), 1)
    inter = np.diag(conf)
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = inter / (conf.sum(0) + conf.sum(1) - inter)
    scores = json.loads((out / 'scores.json').read_text())
    assert scores['mIoU'] == pytest.approx(round(np.nanmean(iou) * 100, 2))
    assert '| **mIoU** (6 images)' in proc.stdout


def test_resume_writes_only_the_missing_masks(setup):
    root, written = setup
    out = root / 'resume'
    assert tool(str(root / 'cam.pth'), '--out-dir', str(out),
                *options(root)).returncode == 0
    for img_id in written['ids'][:2]:
        (out / f'{img_id}.png').unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob('*.png')}
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--resume',
                *options(root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '2 of 6 masks to write' in proc.stdout
    assert len(list(out.glob('*.png'))) == 6
    assert all((out / n).stat().st_mtime_ns == t for n, t in kept.items())
    assert not list(out.glob('*.tmp*'))
    recorded = json.loads((out / 'pseudo_mask_settings.json').read_text())
    assert recorded['threshold'] == 0.43 and recorded['crf'] is False
    # a resume with another threshold would mix masks: refused, untouched
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--resume',
                '--threshold', '0.2', *options(root))
    assert proc.returncode != 0
    assert 'threshold: 0.43 (the written masks) vs 0.2 (now)' in proc.stderr
    assert all((out / n).stat().st_mtime_ns == t for n, t in kept.items())


def test_existing_masks_need_resume_or_overwrite(setup):
    root, _ = setup
    out = root / 'masks_again'
    out.mkdir()
    (out / 'x.png').write_bytes(b'')
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), *options(root))
    assert proc.returncode != 0
    assert f'{out} already holds 1 masks' in proc.stderr


def test_checkpoint_of_another_class_count_stops_first(setup, tmp_path):
    root, _ = setup
    state = torch.load(root / 'cam.pth', weights_only=False)['state_dict']
    state['cam_net.head.weight'] = state['cam_net.head.weight'][:5]
    torch.save({'state_dict': state}, tmp_path / 'five.pth')
    proc = tool(str(tmp_path / 'five.pth'), '--out-dir',
                str(tmp_path / 'out'), *options(root))
    assert proc.returncode != 0
    assert 'five.pth has a CAM network for 5 classes, the dataset has 20' \
        in proc.stderr
    assert not (tmp_path / 'out').exists()


def test_split_without_labels_stops_first(tmp_path, setup):
    root, _ = setup
    make_voc_fixture(str(tmp_path / 'data'), num_images=2,
                     write_label_file=False, seg_dir='nomasks',
                     voc_seg_dir=None, write_xml=False)
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(tmp_path / 'out'),
                '--ann-file', 'ImageSets/Segmentation/train.txt',
                '--cfg-options', *data_options(tmp_path / 'data'))
    assert proc.returncode != 0
    assert 'Annotations does not exist' in proc.stderr
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(tmp_path / 'out'),
                '--ann-file', 'ImageSets/Segmentation/train.txt',
                '--cfg-options', *data_options(tmp_path / 'data'),
                'test_dataloader.dataset.label_source=mask')
    assert proc.returncode != 0
    assert 'no label_file and no mask folder' in proc.stderr
    assert not (tmp_path / 'out').exists()


def test_crf_option_refines_and_writes(setup):
    root, written = setup
    out = root / 'crf'
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--crf',
                '--save-cams', *options(root, 'train'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'CRF on' in proc.stdout
    assert len(list(out.glob('*.png'))) == 3
    cams = np.load(out / 'cams' / f"{written['ids'][0]}.npy")
    assert cams.shape == (20, 64, 80)
    # a .npy cut short (full disk, older version) is redone by --resume
    broken = out / 'cams' / f"{written['ids'][1]}.npy"
    broken.write_bytes(broken.read_bytes()[:1000])
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--crf',
                '--save-cams', '--resume', *options(root, 'train'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '1 of 3 masks to write' in proc.stdout
    assert np.load(broken).shape == (20, 64, 80)


# the tool with its writer patched to die like `kill -9` (os._exit) in the
# middle of writing the 4th mask: the temporary PNG is half-written
KILLED_RUN = '''
import os, runpy, sys
from semples_mmseg.pseudo_masks import export as pseudo_masks
from semples_mmseg.utils import atomic_files
write, calls = pseudo_masks.write_image_outputs, []

def dying(label, cams, img_path, **kwargs):
    calls.append(img_path)
    if len(calls) == 4:
        with atomic_files.atomic_path(
                pseudo_masks.mask_path(kwargs['out_dir'], img_path)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'\\x89PNG half')
            os._exit(137)
    write(label, cams, img_path, **kwargs)

pseudo_masks.write_image_outputs = dying
sys.argv = ['tools/make_pseudo_masks.py'] + sys.argv[1:]
runpy.run_path('tools/make_pseudo_masks.py', run_name='__main__')
'''


def folder_bytes(folder):
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()
            and p.name != 'scores.json'}


def export_with_workers(root, name, workers):
    """The tool's masks and CAMs of ``root``'s split written to
    ``root/name`` with ``workers`` loader workers; the folder's bytes."""
    out = root / name
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--save-cams',
                '--workers', str(workers), *options(root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'{workers} loader worker(s)' in proc.stdout
    return folder_bytes(out)


@pytest.fixture(scope='module')
def serial_masks(setup):
    root, _ = setup
    return export_with_workers(root, 'serial', 0)


def test_two_workers_write_the_serial_bytes(setup, serial_masks):
    root, _ = setup
    two_workers = export_with_workers(root, 'two_workers', 2)
    assert len(serial_masks) == 6 + 6 + 1  # masks, CAMs, settings
    assert two_workers == serial_masks


def test_resume_after_a_kill_mid_stream_is_byte_identical(setup,
                                                          serial_masks):
    root, written = setup
    out = root / 'killed'
    proc = subprocess.run(
        [sys.executable, '-c', KILLED_RUN, TINY, str(root / 'cam.pth'),
         '--out-dir', str(out), '--save-cams', '--workers', '2',
         *options(root)], cwd=REPO, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 137, proc.stderr[-3000:]
    left = sorted(p.name for p in out.glob('*.png'))
    done = len([n for n in left if '.tmp' not in n])
    # died on the 4th; the 3rd may have been mid-write on the other thread
    assert done in (2, 3)
    assert f'{written["ids"][3]}.tmp' in ' '.join(left)  # the half-written
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--save-cams',
                '--resume', '--workers', '2', *options(root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'removed the unfinished {out / written["ids"][3]}.tmp' \
        in proc.stdout
    assert f'{6 - done} of 6 masks to write' in proc.stdout
    assert folder_bytes(out) == serial_masks


# the tool with the disk full from the 3rd mask PNG on (a writer thread's
# save raises ENOSPC, as a full disk does)
FULL_DISK_RUN = '''
import errno, runpy, sys
from PIL import Image
save, saved = Image.Image.save, []

def filling(self, fp, *args, **kwargs):
    if str(fp).endswith('.png'):
        saved.append(fp)
        if len(saved) >= 3:
            raise OSError(errno.ENOSPC, 'No space left on device')
    return save(self, fp, *args, **kwargs)

Image.Image.save = filling
sys.argv = ['tools/make_pseudo_masks.py'] + sys.argv[1:]
runpy.run_path('tools/make_pseudo_masks.py', run_name='__main__')
'''


def test_a_full_disk_ends_naming_the_file_and_resume(setup):
    root, written = setup
    out = root / 'full_disk'
    proc = subprocess.run(
        [sys.executable, '-c', FULL_DISK_RUN, TINY, str(root / 'cam.pth'),
         '--out-dir', str(out), '--workers', '2', *options(root)], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'No space left on device while writing {out}/')
    assert 'the disk is full' in last and '--resume' in last
    assert 'Traceback' not in proc.stderr
    assert not [p for p in out.iterdir() if '.tmp' in p.name]


def test_unwritable_mask_fails_naming_it(setup):
    root, written = setup
    out = root / 'unwritable'
    blocked = out / f'{written["ids"][2]}.png'
    blocked.mkdir(parents=True)  # a folder where the mask must go
    proc = tool(str(root / 'cam.pth'), '--out-dir', str(out), '--overwrite',
                '--workers', '2', *options(root))
    assert proc.returncode != 0
    assert f'writing {blocked} failed: IsADirectoryError' in proc.stderr
    assert not [p for p in out.iterdir() if '.tmp' in p.name]
    assert blocked.is_dir() and not list(blocked.iterdir())


def test_two_cpu_processes_with_two_workers_each_write_the_serial_bytes(
        setup, serial_masks):
    root, _ = setup
    out = root / 'two_ranks'
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()), 'tools/make_pseudo_masks.py',
         TINY, str(root / 'cam.pth'), '--out-dir', str(out), '--save-cams',
         '--launcher', 'pytorch', '--workers', '2', *options(root)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '2 process(es), 2 loader worker(s) each' in proc.stdout
    assert folder_bytes(out) == serial_masks
