"""COCOWeakDataset on the converter's output, in the 80 and the 90-id layout."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from semples_mmseg.datasets import COCOWeakDataset
from semples_mmseg.datasets.class_names import (COCO_CLASSES,
                                                COCO_CONTIGUOUS_TO_ID,
                                                COCO_ID_TO_CONTIGUOUS,
                                                COCO_UNUSED_IDS,
                                                coco_labels_80_to_90,
                                                coco_labels_90_to_80)
from semples_mmseg.testing import make_coco_fixture

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'coco2014_weak_for_dataset',
    REPO / 'tools/dataset_converters/coco2014_weak.py')
converter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(converter)

PIPELINE = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs', num_classes=80)
]


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('coco')
    make_coco_fixture(str(root))
    converter.convert_coco2014(str(root), str(root / 'fmt80'), id_space=80)
    converter.convert_coco2014(str(root), str(root / 'fmt90'), id_space=90)
    return root


def coco(root, fmt='fmt80', split='train', **kw):
    template = kw.pop('img_name_template', f'COCO_{split}2014_{{id}}.jpg')
    return COCOWeakDataset(
        data_root=str(root),
        ann_file=f'{fmt}/{split}.txt',
        img_name_template=template,
        data_prefix=dict(img_path=f'{split}2014',
                         seg_map_path=f'{fmt}/class_labels'),
        pipeline=kw.pop('pipeline', PIPELINE),
        **kw)


def test_class_names_and_id_maps():
    assert len(COCO_CLASSES) == 81 and COCO_CLASSES[0] == 'background'
    assert COCO_UNUSED_IDS == (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
    assert COCO_ID_TO_CONTIGUOUS[1] == 1 and COCO_ID_TO_CONTIGUOUS[90] == 80
    assert COCO_ID_TO_CONTIGUOUS[13] == 12 and COCO_CLASSES[12] == 'stop sign'
    assert COCO_CLASSES[COCO_ID_TO_CONTIGUOUS[18]] == 'dog'
    assert all(COCO_CONTIGUOUS_TO_ID[v] == k
               for k, v in COCO_ID_TO_CONTIGUOUS.items())
    vec = np.zeros(80, np.float32)
    vec[[0, 16, 79]] = 1
    v90 = coco_labels_80_to_90(vec)
    assert np.flatnonzero(v90).tolist() == [0, 17, 89]  # raw ids 1, 18, 90
    assert np.array_equal(coco_labels_90_to_80(v90), vec)


@pytest.mark.parametrize('fmt,id_space', [('fmt80', 80), ('fmt90', 90)])
@pytest.mark.parametrize('with_label_file', [True, False])
def test_both_id_layouts_give_the_same_80_class_samples(
        converted, fmt, id_space, with_label_file):
    kw = dict(label_file=f'{fmt}/cls_labels.npy') if with_label_file else {}
    ds = coco(converted, fmt, id_space=id_space, **kw)
    assert len(ds) == 2
    assert ds.metainfo['classes'] == COCO_CLASSES
    assert len(ds.metainfo['prompt_classes']) == 80
    sample = ds[0]['data_samples']
    labels = sample.metainfo['img_labels']
    assert labels.dtype == np.float32 and labels.shape == (80, )
    assert (np.flatnonzero(labels) + 1).tolist() == [1, 17]  # person, dog
    seg = sample.gt_sem_seg.data[0].numpy()
    expected = np.zeros((8, 10), np.uint8)
    expected[2:6, 2:8] = 17
    expected[0:4, 0:4] = 1
    np.testing.assert_array_equal(seg, expected)
    second = ds[1]['data_samples']
    assert (np.flatnonzero(second.metainfo['img_labels']) + 1).tolist() == \
        [3, 80]  # car (crowd) and toothbrush
    assert set(np.unique(second.gt_sem_seg.data.numpy())) == {0, 3, 80}


def test_val_split_through_a_dataloader(converted):
    ds = coco(converted, split='val', label_file='fmt80/cls_labels.npy')
    batch = next(iter(DataLoader(ds, batch_size=1,
                                 collate_fn=pseudo_collate)))
    assert batch['inputs'][0].shape == (3, 8, 10)
    meta = batch['data_samples'][0].metainfo
    assert np.flatnonzero(meta['img_labels']).tolist() == [11]  # stop sign
    assert meta['img_path'].endswith('val2014/COCO_val2014_000000000004.jpg')


def test_weaktr_flat_image_folder(converted, tmp_path):
    (tmp_path / 'images').mkdir()
    src = converted / 'val2014/COCO_val2014_000000000004.jpg'
    (tmp_path / 'images/000000000004.jpg').write_bytes(src.read_bytes())
    ds = COCOWeakDataset(
        data_root=str(tmp_path), ann_file=str(converted / 'fmt90/val.txt'),
        label_file=str(converted / 'fmt90/cls_labels.npy'), id_space=90,
        img_name_template='{id}.jpg',
        data_prefix=dict(img_path='images', seg_map_path='no_masks'),
        pipeline=PIPELINE)
    sample = ds[0]['data_samples']
    assert 'gt_sem_seg' not in sample
    assert np.flatnonzero(sample.metainfo['img_labels']).tolist() == [11]


# ---------------------------------------------------------------- bad input
def test_90_layout_read_as_80_names_the_mask(converted):
    with pytest.raises(ValueError, match=r'000000000002.png.*\[90\]'):
        coco(converted, 'fmt90', id_space=80)  # labels derived from masks


def test_unused_raw_id_in_a_90_mask_is_named(converted, tmp_path):
    root = tmp_path / 'c'
    make_coco_fixture(str(root))
    converter.convert_coco2014(str(root), str(root / 'fmt90'), id_space=90,
                               splits=['val'], subset=0)
    mask = root / 'fmt90/class_labels/000000000004.png'
    seg = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    seg[0, 0] = 12  # an id no COCO category uses
    cv2.imwrite(str(mask), seg)
    with pytest.raises(ValueError, match=r'000000000004.png.*\[12\]'):
        coco(root, 'fmt90', split='val', id_space=90)
    ds = coco(root, 'fmt90', split='val', id_space=90,
              label_file='fmt90/cls_labels.npy')
    with pytest.raises(ValueError, match=r'000000000004.png.*\[12\]'):
        ds[0]  # the loading transform checks it too


def test_label_vectors_of_the_wrong_id_space_are_named(converted):
    with pytest.raises(ValueError, match=r'cls_labels.npy.*length 80, '
                       'expected 90'):
        coco(converted, 'fmt80', id_space=90, label_file='fmt80/cls_labels.npy')


def test_unused_id_set_in_a_label_vector_is_named(converted, tmp_path):
    labels = np.load(converted / 'fmt90/cls_labels.npy',
                     allow_pickle=True).item()
    labels['000000000002'][26 - 1] = 1
    np.save(tmp_path / 'bad.npy', labels)
    with pytest.raises(ValueError, match=r'000000000002.*\[26\]'):
        coco(converted, 'fmt90', id_space=90, label_file=str(tmp_path / 'bad.npy'))


def test_bad_constructor_arguments_are_named(converted):
    with pytest.raises(ValueError, match='id_space.*91'):
        coco(converted, id_space=91)
    with pytest.raises(ValueError, match='COCO_.jpg'):
        coco(converted, img_name_template='COCO_.jpg')
    with pytest.raises(FileNotFoundError, match='missing_root'):
        COCOWeakDataset(data_root=str(converted / 'missing_root'),
                        ann_file='fmt80/train.txt')
