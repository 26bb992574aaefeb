"""The VOC, COCO and COCO-90 CAM configs read their images one way.

Their pipelines live once, in configs/_base_/datasets/weak_pipelines.py. A
copy per dataset had drifted: COCO-90's evaluation loader was our checked
loader instead of mmcv's Pillow ``LoadImageFromFile`` (which MMSegInferencer
and inference_model look for), and its ``--tta`` pipeline packed 80 classes.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CAM_CONFIGS = [
    'configs/weaktr/weaktr_voc.py', 'configs/weaktr/weaktr_coco.py',
    'configs/weaktr/weaktr_coco90.py', 'configs/semples/weaktr_voc.py',
    'configs/semples/weaktr_coco.py', 'configs/semples/weaktr_coco90.py',
    'configs/clims/clims_voc.py', 'configs/clims/clims_coco.py',
    'configs/semples/clims_voc.py', 'configs/semples/clims_coco.py',
]


def load(path):
    return Config.fromfile(str(REPO / path))


@pytest.mark.parametrize('path', CAM_CONFIGS)
def test_evaluation_reads_images_with_mmcv_pillow_loader(path):
    cfg = load(path)
    for split in ('val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert pipeline[0] == dict(type='LoadImageFromFile',
                                   imdecode_backend='pillow'), (path, split)
        assert pipeline[-1] == dict(type='PackWeakSegInputs'), (path, split)
    assert cfg.tta_pipeline == cfg.test_pipeline, path


def test_datasets_share_the_weaktr_recipe_and_clims_crops():
    recipes = {path: load(path).train_dataloader.dataset.pipeline
               for path in CAM_CONFIGS}
    weaktr = [p for p in CAM_CONFIGS if 'weaktr' in p]
    clims = [p for p in CAM_CONFIGS if 'clims' in p]
    assert all(recipes[p] == recipes[weaktr[0]] for p in weaktr)
    assert all(recipes[p] == recipes[clims[0]] for p in clims)
    assert recipes[weaktr[0]][1]['scale'] == 224
    assert recipes[clims[0]][3] == dict(type='RandomCrop',
                                        crop_size=(512, 512))
    # the datasets differ where they should
    types = {load(p).train_dataloader.dataset.type for p in weaktr}
    assert types == {'VOCWeakDataset', 'COCOWeakDataset', 'COCO90WeakDataset'}
