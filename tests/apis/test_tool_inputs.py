"""load_config / build_list_dataset: a tool's config and its id list."""
from pathlib import Path

import numpy as np
import pytest

from fixtures import make_voc_fixture
from semples_mmseg.apis import build_list_dataset, load_config

WEAK_CONFIG = """
test_dataloader = dict(dataset=dict(
    type='VOCWeakDataset', data_root='data/VOCdevkit/VOC2012',
    ann_file='ImageSets/Segmentation/train.txt', pipeline=[]))
stock_dataset = dict(
    type='PascalVOCDataset', data_root='data/VOCdevkit/VOC2012',
    data_prefix=dict(img_path='JPEGImages',
                     seg_map_path='SegmentationClass'),
    ann_file='ImageSets/Segmentation/train.txt', pipeline=[])
"""


@pytest.fixture(scope='module')
def voc(tmp_path_factory):
    """4 images: train.txt lists the first 2, val.txt the last 2."""
    root = tmp_path_factory.mktemp('tool_inputs')
    written = make_voc_fixture(str(root / 'data'), num_images=4)
    config = root / 'weak.py'
    config.write_text(WEAK_CONFIG)
    return root, written


def test_load_config_merges_the_options(voc):
    root, _ = voc
    data = str(root / 'data')
    cfg = load_config(
        str(root / 'weak.py'), {
            'test_dataloader.dataset.data_root': data,
            'stock_dataset.pipeline': [dict(type='X')]
        })
    assert cfg.test_dataloader.dataset.data_root == data
    assert cfg.stock_dataset.pipeline == [dict(type='X')]
    # the rest as the file has it
    assert cfg.test_dataloader.dataset.ann_file == \
        'ImageSets/Segmentation/train.txt'
    plain = load_config(str(root / 'weak.py'), None)
    assert plain.test_dataloader.dataset.data_root == 'data/VOCdevkit/VOC2012'


def test_the_id_list_replaced_gives_its_images(voc):
    root, written = voc
    cfg = load_config(
        str(root / 'weak.py'),
        {'test_dataloader.dataset.data_root': str(root / 'data')})
    dataset_cfg = cfg.test_dataloader.dataset
    own = build_list_dataset(dataset_cfg, image_labels_for='seeds')
    assert len(own) == 2
    assert Path(own.get_data_info(0)['img_path']).stem == written['ids'][0]

    other = build_list_dataset(dataset_cfg,
                               ann_file='ImageSets/Segmentation/val.txt',
                               image_labels_for='seeds')
    assert len(other) == 2
    assert Path(other.ann_file).name == 'val.txt'
    for i, img_id in enumerate(written['ids'][2:]):
        info = other.get_data_info(i)
        assert Path(info['img_path']).stem == img_id
        np.testing.assert_array_equal(info['img_labels'],
                                      written['labels'][2 + i])
    # the config itself is left as it was
    assert dataset_cfg.ann_file == 'ImageSets/Segmentation/train.txt'


def test_the_data_root_replaced(voc):
    root, written = voc
    cfg = load_config(str(root / 'weak.py'))
    dataset = build_list_dataset(
        cfg.test_dataloader.dataset,
        data_root=str(root / 'data'),
        ann_file='ImageSets/Segmentation/train_aug.txt')
    assert [
        Path(dataset.get_data_info(i)['img_path']).stem
        for i in range(len(dataset))
    ] == written['ids']
    assert cfg.test_dataloader.dataset.data_root == 'data/VOCdevkit/VOC2012'


def test_a_dataset_without_image_labels_is_refused_naming_the_list(voc):
    root, written = voc
    cfg = load_config(str(root / 'weak.py'),
                      {'stock_dataset.data_root': str(root / 'data')})
    # mmseg's own VOC dataset: masks, no image-level labels
    stock = build_list_dataset(cfg.stock_dataset,
                               ann_file='ImageSets/Segmentation/val.txt')
    assert len(stock) == 2 and 'img_labels' not in stock.get_data_info(0)
    with pytest.raises(SystemExit,
                       match=r'val\.txt: .*no image labels \(img_labels\); '
                       r'pseudo masks need'):
        build_list_dataset(cfg.stock_dataset,
                           ann_file='ImageSets/Segmentation/val.txt',
                           image_labels_for='pseudo masks')
