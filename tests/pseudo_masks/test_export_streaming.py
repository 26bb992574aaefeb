"""The streaming CAM export: serial bytes, a bounded queue, named errors."""
import errno
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmseg.registry import DATASETS, MODELS
from mmseg.utils import register_all_modules
from semples_mmseg.pseudo_masks import export as pseudo_masks
from semples_mmseg.pseudo_masks.dense_crf import crf_refine_labels
from semples_mmseg.pseudo_masks.export_loader import (ReadFailure,
                                                   build_export_loader)
from semples_mmseg.pseudo_masks.export_writer import BoundedWriter
from semples_mmseg.pseudo_masks.export import (cam_pass, pending_indices,
                                                   remove_temporaries)
from fixtures import make_voc_fixture
from semples_mmseg.utils.atomic_files import DiskFullError

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')
NUM_IMAGES = 8


def build_dataset(root, **options):
    cfg = Config.fromfile(TINY)
    dataset_cfg = dict(cfg.test_dataloader.dataset)
    dataset_cfg.update(data_root=str(root),
                       ann_file='ImageSets/Segmentation/train_aug.txt',
                       **options)
    return DATASETS.build(dataset_cfg)


@pytest.fixture(scope='module')
def export(tmp_path_factory):
    register_all_modules(init_default_scope=True)
    root = tmp_path_factory.mktemp('stream')
    written = make_voc_fixture(str(root / 'data'), num_images=NUM_IMAGES)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY).model).eval()
    dataset = build_dataset(root / 'data')
    serial = root / 'serial'
    (serial / 'cams').mkdir(parents=True)
    cam_pass(model, dataset, range(NUM_IMAGES), out_dir=str(serial),
             threshold=0.43, crf=crf_refine_labels, save_cams=True,
             progress=False, workers=0)
    return root, model, dataset, serial, written['ids']


def files(folder):
    return {p.relative_to(folder): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()}


def test_serial_path_runs_in_this_thread(export, monkeypatch):
    root, model, dataset, _, _ = export
    threads = set()
    write = pseudo_masks.write_image_outputs

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        write(*args, **kwargs)

    monkeypatch.setattr(pseudo_masks, 'write_image_outputs', spy)
    (root / 'sync').mkdir()
    cam_pass(model, dataset, [0, 1], out_dir=str(root / 'sync'),
             threshold=0.43, progress=False, workers=0)
    assert threads == {threading.current_thread().name}


def test_streaming_writes_the_serial_bytes(export, tmp_path, monkeypatch):
    _, model, dataset, serial, ids = export
    writers, threads = [], set()
    write = pseudo_masks.write_image_outputs

    class Recording(BoundedWriter):

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            writers.append(self)

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        write(*args, **kwargs)

    monkeypatch.setattr(pseudo_masks, 'BoundedWriter', Recording)
    monkeypatch.setattr(pseudo_masks, 'write_image_outputs', spy)
    seen = []
    out = tmp_path / 'stream'
    (out / 'cams').mkdir(parents=True)
    cam_pass(model, dataset, range(NUM_IMAGES), out_dir=str(out),
             threshold=0.43, crf=crf_refine_labels, save_cams=True,
             progress=False, workers=2, writer_threads=2,
             max_pending_writes=2,
             on_sample=lambda s: seen.append(Path(s.img_path).stem))
    assert seen == ids  # in order
    expected = files(serial)
    assert len(expected) == 2 * NUM_IMAGES
    assert files(out) == expected  # byte for byte: PNGs and float16 CAMs
    assert all(name.startswith('export-writer') for name in threads)
    assert writers[0].threads == 2 and writers[0].peak_pending <= 2


class Draws:
    """A dataset whose item i is (i, the reading process, a random draw)."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise ValueError('broken file')
        return dict(i=i, pid=os.getpid(), draw=int(np.random.randint(1e9)))

    def get_data_info(self, i):
        return dict(img_path=f'img{i}.jpg')


def test_loader_reads_in_seeded_workers_in_order():
    runs = [list(build_export_loader(Draws(), [5, 0, 3, 4, 1], workers=2,
                                     seed=7)) for _ in range(2)]
    assert runs[0][3] == ReadFailure('img4.jpg', 'ValueError: broken file')
    items = [[b['i'][0] for b in run if not isinstance(b, ReadFailure)]
             for run in runs]
    assert items == [[5, 0, 3, 1]] * 2
    pids = {b['pid'][0] for b in runs[0] if isinstance(b, dict)}
    assert len(pids) == 2 and os.getpid() not in pids
    draws = [[b['draw'][0] for b in run if isinstance(b, dict)]
             for run in runs]
    assert draws[0] == draws[1]  # seeded: the same draws on every run
    serial = list(build_export_loader(Draws(), [5, 0], workers=0))
    assert [b['pid'][0] for b in serial] == [os.getpid()] * 2
    # the global torch RNG is neither drawn from nor read
    expected = torch.Generator().manual_seed(3)
    torch.manual_seed(3)
    list(build_export_loader(Draws(), [0, 1], workers=2))
    assert torch.equal(torch.rand(3), torch.rand(3, generator=expected))


def test_writer_queue_bound_blocks_the_producer():
    release = threading.Event()
    started = []
    writer = BoundedWriter(2, max_pending=3)

    def job(i):
        started.append(i)
        release.wait(10)

    submitted = []

    def produce():
        for i in range(6):
            writer.submit(job, i)
            submitted.append(i)

    producer = threading.Thread(target=produce)
    producer.start()
    # no job can finish before `release`: once 3 are handed over and both
    # threads run one, the producer waits for a slot whatever the timing
    give_up = time.monotonic() + 60
    while (len(submitted) < 3 or len(started) < 2) and \
            time.monotonic() < give_up:
        time.sleep(0.01)
    assert producer.is_alive()  # waiting for a slot
    assert submitted == [0, 1, 2] and writer.pending == 3
    assert sorted(started) == [0, 1]  # 2 threads: one job queued
    release.set()
    producer.join(10)
    writer.close()
    assert submitted == list(range(6)) and sorted(started) == list(range(6))
    assert writer.peak_pending == 3 and writer.pending == 0


def test_failed_job_stops_the_writer_and_drops_the_queue():
    gate = threading.Event()
    ran = []

    def fail():
        gate.wait(10)
        raise OSError(errno.EIO, 'broken', 'a.png')

    writer = BoundedWriter(1, max_pending=4)
    writer.submit(fail)
    writer.submit(ran.append, 1)  # queued behind the failing job
    gate.set()
    with pytest.raises(OSError, match='a.png'):
        writer.close()
    assert ran == []
    with pytest.raises(OSError, match='a.png'):
        writer.submit(ran.append, 2)


def test_full_disk_names_the_file_and_leaves_no_partial_file(
        export, tmp_path, monkeypatch):
    _, model, dataset, serial, ids = export
    save = Image.Image.save

    def full_on_the_fifth(self, fp, *args, **kwargs):
        if ids[4] in str(fp):
            with open(fp, 'wb') as f:
                f.write(b'\x89PNG half')  # what a full disk leaves
            raise OSError(errno.ENOSPC, 'No space left on device')
        return save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, 'save', full_on_the_fifth)
    out = tmp_path / 'full'
    out.mkdir()
    with pytest.raises(DiskFullError) as info:
        cam_pass(model, dataset, range(NUM_IMAGES), out_dir=str(out),
                 threshold=0.43, crf=crf_refine_labels, progress=False,
                 workers=2)
    assert f'No space left on device while writing {out / ids[4]}.png' \
        in str(info.value)
    written = {p.name for p in out.iterdir()}
    assert f'{ids[4]}.png' not in written
    assert not [n for n in written if '.tmp' in n]
    # every image before it is written, whole and equal to the serial one
    for img_id in ids[:4]:
        assert (out / f'{img_id}.png').read_bytes() == \
            (serial / f'{img_id}.png').read_bytes()


def test_unreadable_image_is_named_after_the_images_before_it(
        export, tmp_path):
    root, model, _, serial, ids = export
    data = tmp_path / 'data'
    make_voc_fixture(str(data), num_images=NUM_IMAGES)
    # broken after the dataset's scan at build (or with scan=False)
    (data / 'JPEGImages' / f'{ids[3]}.jpg').write_bytes(b'not a jpeg')
    out = tmp_path / 'masks'
    out.mkdir()
    with pytest.raises(RuntimeError,
                       match=f'reading .*{ids[3]}.jpg failed: '):
        cam_pass(model, build_dataset(data, scan=False), range(NUM_IMAGES),
                 out_dir=str(out), threshold=0.43, crf=crf_refine_labels,
                 progress=False, workers=2)
    assert sorted(p.stem for p in out.glob('*.png')) == ids[:3]
    for img_id in ids[:3]:
        assert (out / f'{img_id}.png').read_bytes() == \
            (serial / f'{img_id}.png').read_bytes()


def test_temporaries_of_a_kill_are_removed_and_redone(export, tmp_path):
    _, _, _, serial, ids = export
    out = tmp_path / 'killed'
    (out / 'cams').mkdir(parents=True)
    first = f'{ids[0]}.png'
    (out / first).write_bytes((serial / first).read_bytes())
    (out / f'{ids[0]}.npy').write_bytes(b'')  # not ours: kept
    (out / f'{ids[1]}.tmp4242.png').write_bytes(b'\x89PNG')
    (out / 'cams' / f'{ids[0]}.tmp4242.npy').write_bytes(b'\x93NUMPY')
    removed = remove_temporaries(str(out))
    assert sorted(Path(p).name for p in removed) == [
        f'{ids[0]}.tmp4242.npy', f'{ids[1]}.tmp4242.png']
    assert sorted(p.name for p in out.rglob('*') if p.is_file()) == [
        f'{ids[0]}.npy', f'{ids[0]}.png']
    paths = [f'/x/{i}.jpg' for i in ids[:3]]
    assert pending_indices(paths, str(out)) == [1, 2]
    assert pending_indices(paths, str(out), save_cams=True) == [0, 1, 2]


if __name__ == '__main__':
    sys.exit(pytest.main([__file__, '-q']))
