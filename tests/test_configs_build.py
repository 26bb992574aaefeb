"""Every config builds its model as it is and names datasets that fit it.

Covers every config under configs/ (except configs/_base_/) and the small
test configs under tests/data/configs/. Building a model must read no weight
file and build no CLIP (DESIGN.md: inference builds only what it needs; the
initial weight files and CLIP are read by init_weights() for training), so
the configs are built unchanged, with open_clip unable to build anything.
Every dataloader names a registered dataset, and a CLIP-guided model reads
the prompt names of its dataset (or of the classes its config lists), one
per class of its CAM network.
"""
import importlib.util
from pathlib import Path

import open_clip
import pytest
import torch
from mmengine.config import Config

from mmseg.registry import DATASETS, MODELS
from semples_mmseg.datasets.image_tag_dataset import class_texts

REPO = Path(__file__).resolve().parents[1]
USER_CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.relative_to(REPO / 'configs').parts)
TEST_CONFIGS = sorted(
    str(p.relative_to(REPO))
    for p in (REPO / 'tests/data/configs').glob('*.py'))


def forbid_building_clip(monkeypatch):

    def refuse(*args, **kwargs):
        raise AssertionError('CLIP was built while building a model')

    for name in ('create_model', 'create_model_and_transforms',
                 'create_model_from_pretrained', 'CLIP'):
        monkeypatch.setattr(open_clip, name, refuse)


def test_there_are_user_and_test_configs():
    assert USER_CONFIGS, 'no config under configs/ outside configs/_base_/'
    assert TEST_CONFIGS, 'no config under tests/data/configs/'


@pytest.mark.parametrize('path', USER_CONFIGS + TEST_CONFIGS)
def test_config_builds_its_model_reading_no_weight_file(path, monkeypatch):
    if 'mask2former' in path and importlib.util.find_spec('mmdet') is None:
        pytest.skip('Mask2Former needs mmdet, not installed here')
    cfg = Config.fromfile(str(REPO / path))
    assert cfg.custom_imports == dict(
        imports=['semples_mmseg'], allow_failed_imports=False)
    forbid_building_clip(monkeypatch)
    model = MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 0
    guide = getattr(model, 'clip_guide', None)
    assert guide is None or not guide.is_built


@pytest.mark.parametrize('path', USER_CONFIGS)
def test_datasets_are_registered_and_fit_the_model(path):
    cfg = Config.fromfile(str(REPO / path))
    datasets = {
        split: DATASETS.get(cfg[f'{split}_dataloader'].dataset.type)
        for split in ('train', 'val', 'test')
        if cfg.get(f'{split}_dataloader') is not None
    }
    assert datasets and all(datasets.values()), (path, datasets)
    guide = cfg.model.get('clip_guide')
    if guide is None:
        return
    names = tuple(guide.class_names)
    assert len(names) == cfg.model.cam_net.num_classes, path
    for split, dataset in datasets.items():
        prompts = dataset.METAINFO.get('prompt_classes')
        if prompts is None:  # the config lists the classes (ImageTagDataset)
            settings = cfg[f'{split}_dataloader'].dataset
            prompts = class_texts(settings.classes, settings.clip_texts)
        assert names == tuple(prompts), (path, split)
