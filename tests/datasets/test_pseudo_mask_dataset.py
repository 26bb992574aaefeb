"""PseudoMaskDataset refuses a mask folder that does not fit the list."""
import numpy as np
import pytest
from PIL import Image

from mmseg.registry import DATASETS
from semples_mmseg.datasets import PseudoMaskDataset
from semples_mmseg.engine.exact_resume.seeded_sampler import SeededIndex


def write_tree(root, ids, masks=None):
    """JPEGImages/{id}.jpg (12 x 16) and masks/{id}.png for ``masks``."""
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'masks').mkdir()
    (root / 'list.txt').write_text('\n'.join(ids) + '\n')
    for img_id in ids:
        Image.fromarray(np.full((12, 16, 3), 90, np.uint8)).save(
            root / 'JPEGImages' / f'{img_id}.jpg')
    for img_id, mask in (masks or {}).items():
        Image.fromarray(mask).save(root / 'masks' / f'{img_id}.png')


def dataset(root, **kwargs):
    return PseudoMaskDataset(
        data_root=str(root), ann_file='list.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='masks'),
        **{'classes_of': 'PascalVOCDataset', **kwargs})


def mask(value=0):
    m = np.zeros((12, 16), np.uint8)
    m[2:6, 3:9] = value
    m[0, 0] = 255
    return m


def test_a_fitting_folder_builds_and_loads(tmp_path):
    write_tree(tmp_path, ['a', 'b'], {'a': mask(20), 'b': mask(3)})
    data = dataset(tmp_path, pipeline=[dict(type='LoadAnnotations')])
    assert len(data) == 2 and len(data.metainfo['classes']) == 21
    info = data.get_data_info(1)
    assert info['img_path'].endswith('JPEGImages/b.jpg')
    assert info['seg_map_path'].endswith('masks/b.png')
    assert (data[0]['gt_seg_map'] == mask(20)).all()
    # a SeededSampler index runs the pipeline as well
    assert (data[SeededIndex(0, sample_seed=5)]['gt_seg_map'] ==
            mask(20)).all()


def test_missing_masks_and_bad_values_are_named_before_training(tmp_path):
    write_tree(tmp_path, ['a', 'b', 'c', 'd'],
               {'a': mask(3), 'b': mask(21), 'd': mask(254)})
    with pytest.raises(ValueError) as info:
        dataset(tmp_path)
    text = str(info.value)
    assert '3 of 4 files are bad' in text
    assert 'masks/b.png has values [21] outside 0..20 and 255' in text
    assert 'masks/c.png does not exist' in text
    assert 'masks/d.png has values [254]' in text
    assert 'masks/a.png' not in text


def test_coco_classes_allow_values_up_to_80(tmp_path):
    write_tree(tmp_path, ['a'], {'a': mask(80)})
    data = dataset(tmp_path, classes_of='COCOWeakDataset')
    assert len(data.metainfo['classes']) == 81


def test_without_the_scan_only_missing_masks_are_checked(tmp_path):
    write_tree(tmp_path, ['a', 'b'], {'a': mask(99)})
    with pytest.raises(FileNotFoundError, match=r'1 masks .*masks/b\.png'):
        dataset(tmp_path, scan=False)


def test_classes_and_the_mask_folder_are_required(tmp_path):
    write_tree(tmp_path, ['a'], {'a': mask(1)})
    with pytest.raises(ValueError, match='classes_of'):
        dataset(tmp_path, classes_of=None)
    with pytest.raises(KeyError, match='VOCDataset'):
        dataset(tmp_path, classes_of='VOCDataset')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        PseudoMaskDataset(
            data_root=str(tmp_path), ann_file='list.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path='nowhere'),
            classes_of='PascalVOCDataset')
    assert DATASETS.get('PseudoMaskDataset') is PseudoMaskDataset
