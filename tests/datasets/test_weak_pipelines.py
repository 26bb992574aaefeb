"""The base dataset configs' pipelines run inside mmseg on real fixtures."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

from mmseg.registry import DATASETS, TRANSFORMS
from fixtures import make_coco_fixture, make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
VOC_CFG = Config.fromfile(REPO / 'configs/_base_/datasets/voc_weak.py')
COCO_CFG = Config.fromfile(REPO / 'configs/_base_/datasets/coco_weak.py')


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def build(cfg, loader, root, pipeline, **over):
    ds_cfg = dict(cfg[loader]['dataset'])
    ds_cfg.update(data_root=str(root), pipeline=pipeline, **over)
    return DATASETS.build(ds_cfg)


def batches(ds, batch_size=2):
    return list(DataLoader(ds, batch_size=batch_size, shuffle=False,
                           collate_fn=pseudo_collate))


def test_config_names_and_dataloaders():
    for cfg in (VOC_CFG, COCO_CFG):
        for name in ('train_pipeline', 'crop_flip_pipeline', 'test_pipeline',
                     'train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert name in cfg, name
        assert cfg.val_dataloader.batch_size == 1
        assert cfg.test_dataloader == cfg.val_dataloader
        # ImageNet normalisation is left to the model's data preprocessor
        assert not any('Normalize' in t['type'] for t in cfg.train_pipeline)
    assert VOC_CFG.data_root == 'data/VOCdevkit/VOC2012'
    assert VOC_CFG.train_dataloader.dataset.ann_file.endswith('/trainaug.txt')
    assert VOC_CFG.val_dataloader.dataset.ann_file.endswith('/train.txt')
    assert COCO_CFG.val_dataloader.dataset.ann_file == 'val_seed_1250.txt'
    assert COCO_CFG.train_dataloader.dataset.ann_file == 'train_ids.txt'


@pytest.mark.parametrize('name', ['train_pipeline', 'crop_flip_pipeline'])
def test_voc_training_pipelines_give_224_unnormalised_crops(tmp_path, name):
    written = make_voc_fixture(str(tmp_path), num_images=4, height=40,
                               width=56)
    # trainaug without any mask folder: labels from the XML annotations
    ds = build(VOC_CFG, 'train_dataloader', tmp_path, VOC_CFG[name],
               data_prefix=dict(img_path='JPEGImages', seg_map_path='none'))
    seen = []
    for batch in batches(ds):
        for img, sample in zip(batch['inputs'], batch['data_samples']):
            assert img.shape == (3, 224, 224) and img.dtype == torch.uint8
            assert 'gt_sem_seg' not in sample
            seen.append(sample.metainfo['img_labels'])
    assert len(seen) == 4
    for got, want in zip(seen, written['labels']):
        assert got.dtype == np.float32 and np.array_equal(got, want)


def test_full_augmentation_changes_pixels_beyond_crop_and_flip(tmp_path):
    """RandAugment + RandomErasing act: with the same crop/flip seed the
    full pipeline's output differs from the crop+flip one."""
    make_voc_fixture(str(tmp_path), num_images=1, height=40, width=56)
    over = dict(ann_file='ImageSets/Segmentation/train.txt')
    full = build(VOC_CFG, 'train_dataloader', tmp_path,
                 VOC_CFG.train_pipeline, **over)
    plain = build(VOC_CFG, 'train_dataloader', tmp_path,
                  VOC_CFG.crop_flip_pipeline, **over)
    differs = 0
    for seed in range(6):
        np.random.seed(seed)
        a = full[0]['inputs']
        np.random.seed(seed)
        b = plain[0]['inputs']
        np.random.seed(seed)
        assert torch.equal(plain[0]['inputs'], b)  # the seed fixes crop+flip
        differs += int(not torch.equal(a, b))
    assert differs >= 4


def test_voc_test_pipeline_keeps_full_size_and_mask(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=4, height=40,
                               width=56)
    ds = build(VOC_CFG, 'val_dataloader', tmp_path, VOC_CFG.test_pipeline)
    (batch, ) = batches(ds, batch_size=2)
    for i, sample in enumerate(batch['data_samples']):
        assert batch['inputs'][i].shape == (3, 40, 56)
        assert sample.gt_sem_seg.data.shape == (1, 40, 56)
        assert np.array_equal(sample.metainfo['img_labels'],
                              written['labels'][i])
        present = set(np.unique(sample.gt_sem_seg.data.numpy())) - {0, 255}
        assert present == set(
            (np.flatnonzero(written['labels'][i]) + 1).tolist())


def test_coco_config_pipelines_on_converted_fixture(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'coco2014_weak_for_pipelines',
        REPO / 'tools/dataset_converters/coco2014_weak.py')
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    # the config's layout: images in coco/{split}2014, data_root coco/semples
    make_coco_fixture(str(tmp_path / 'coco'), num_images=6)
    out = tmp_path / 'coco/semples'
    converter.convert_coco2014(str(tmp_path / 'coco'), str(out),
                               progress=False)
    train = build(COCO_CFG, 'train_dataloader', out, COCO_CFG.train_pipeline)
    (batch, ) = batches(train, batch_size=3)
    assert [x.shape for x in batch['inputs']] == [(3, 224, 224)] * 3
    assert batch['data_samples'][1].metainfo['img_labels'].shape == (80, )
    val = build(COCO_CFG, 'val_dataloader', out, COCO_CFG.test_pipeline)
    assert len(val) == 1  # val_seed_1250.txt: the one annotated val image
    sample = val[0]['data_samples']
    assert sample.gt_sem_seg.data.shape == (1, 8, 10)
    # stop sign (COCO id 13 -> 12), the crowd car is ignore (255)
    assert set(np.unique(sample.gt_sem_seg.data.numpy())) == {0, 12, 255}


def test_pack_checks_label_length_naming_the_image():
    pack = TRANSFORMS.build(dict(type='PackWeakSegInputs', num_classes=20))
    results = dict(img=np.zeros((4, 4, 3), np.uint8), img_path='x/cat.jpg',
                   img_labels=np.ones(19, np.float32))
    with pytest.raises(ValueError, match='cat.jpg.*length 19.*K = 20'):
        pack(results)
    results['img_labels'] = np.ones((1, 20), np.float32)
    with pytest.raises(ValueError, match=r'cat.jpg.*\(1, 20\)'):
        pack(results)
    results['img_labels'] = np.ones(20, np.float64)
    packed = pack(results)['data_samples']
    assert packed.metainfo['img_labels'].dtype == np.float32


def test_pack_without_labels_packs_a_loose_image():
    pack = TRANSFORMS.build(dict(type='PackWeakSegInputs', num_classes=20))
    packed = pack(dict(img=np.zeros((4, 6, 3), np.uint8),
                       img_path='photo.jpg', img_shape=(4, 6),
                       ori_shape=(4, 6)))
    assert packed['inputs'].shape == (3, 4, 6)
    meta = packed['data_samples'].metainfo
    assert 'img_labels' not in meta and meta['img_path'] == 'photo.jpg'
    # a dataset sample keeps its index: the segmentor tells the two apart
    with_idx = pack(dict(img=np.zeros((4, 6, 3), np.uint8), sample_idx=3,
                         img_labels=np.ones(20, np.float32)))
    assert with_idx['data_samples'].metainfo['sample_idx'] == 3
    custom = TRANSFORMS.build(dict(type='PackWeakSegInputs',
                                   meta_keys=('img_path', )))
    assert {'img_labels', 'sample_idx'} <= set(custom.meta_keys)
