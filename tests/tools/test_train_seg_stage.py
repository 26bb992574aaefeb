"""The segmentation-stage configs train stock mmseg models on pseudo masks,
and check the mask folder when their train set is built."""
import shutil
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from fixtures import make_voc_fixture
from mmseg.registry import DATASETS
from test_train_semples import run

REPO = Path(__file__).resolve().parents[2]


def tiny_variant(tmp_path, config, data_root):
    """The config with 64-pixel crops, 2 iterations and no weight files."""
    path = tmp_path / 'tiny_seg.py'
    path.write_text(f'''
_base_ = ['{REPO / config}']
crop = (64, 64)
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
model = dict(pretrained=None, data_preprocessor=dict(size=crop),
             backbone=dict(init_cfg=None))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{data_root}',
                                     pipeline=pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{data_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=100)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2))
''')
    return str(path)


@pytest.mark.parametrize('config', [
    'configs/seg/segmenter_vit-s_mask_8xb1-80k_voc-512_pseudo.py',
    'configs/seg/deeplabv3plus_r101-d8_4xb4-40k_voc-512_pseudo.py',
])
def test_seg_config_trains_on_pseudo_masks(tmp_path, config):
    data = tmp_path / 'data'
    make_voc_fixture(str(data), num_images=4, height=64, width=80,
                     seg_dir='pseudo_masks', voc_seg_dir=None)
    shutil.copytree(data / 'pseudo_masks', data / 'SegmentationClass')
    work = tmp_path / 'work'
    log = run([sys.executable, 'tools/train.py',
               tiny_variant(tmp_path, config, data), '--work-dir', str(work)])
    assert 'Iter(train) [2/2]' in log
    assert (work / 'iter_2.pth').is_file()


VOC_MASK_TRAINING = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*voc*.py')
    if p.stem.endswith(('_pseudo', '_sam-seeds')))


def test_the_voc_mask_training_configs_are_found():
    assert len(VOC_MASK_TRAINING) == 7, VOC_MASK_TRAINING


@pytest.mark.parametrize('config', VOC_MASK_TRAINING)
def test_a_missing_pseudo_mask_is_named_when_the_dataset_is_built(
        tmp_path, config):
    """Every VOC config that trains on a mask folder checks it at start."""
    data = tmp_path / 'data'
    make_voc_fixture(str(data), num_images=4, height=32, width=40,
                     seg_dir='pseudo_masks', voc_seg_dir=None)
    settings = Config.fromfile(str(REPO / config)).train_dataloader.dataset
    settings.data_root = str(data)
    settings.data_prefix.seg_map_path = 'pseudo_masks'
    assert len(DATASETS.build(settings)) == 4
    missing = sorted((data / 'pseudo_masks').glob('*.png'))[1]
    missing.unlink()
    with pytest.raises(ValueError, match=f'pseudo_masks/{missing.name} '
                       'does not exist'):
        DATASETS.build(settings)
