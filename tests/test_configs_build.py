"""Every config loads and builds its model with no weight file (offline).

Covers every config under configs/ (except configs/_base_/) and the small
test configs under tests/data/configs/.
"""
import importlib.util
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from semples_mmseg.testing import offline_model_cfg

REPO = Path(__file__).resolve().parents[1]
USER_CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.relative_to(REPO / 'configs').parts)
TEST_CONFIGS = sorted(
    str(p.relative_to(REPO))
    for p in (REPO / 'tests/data/configs').glob('*.py'))


def test_there_are_user_and_test_configs():
    assert USER_CONFIGS, 'no config under configs/ outside configs/_base_/'
    assert TEST_CONFIGS, 'no config under tests/data/configs/'


@pytest.mark.parametrize('path', USER_CONFIGS + TEST_CONFIGS)
def test_config_builds_its_model(path):
    if 'mask2former' in path and importlib.util.find_spec('mmdet') is None:
        pytest.skip('Mask2Former needs mmdet, not installed here')
    cfg = Config.fromfile(str(REPO / path))
    assert cfg.custom_imports == dict(
        imports=['semples_mmseg'], allow_failed_imports=False)
    model = MODELS.build(offline_model_cfg(cfg.model))
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_offline_rewrite_drops_every_weight_file():
    cfg = dict(
        a=dict(pretrained='x.pth',
               init_cfg=dict(type='Pretrained', checkpoint='y.pth')),
        b=[dict(init_cfg=[dict(type='Kaiming', layer='Conv2d'),
                          dict(type='Pretrained', checkpoint='z.pth')])],
        c=dict(init_cfg=dict(type='Kaiming'), pretrained=True),
        d=dict(init_cfg=dict(type='Constant', val=1,
                             override=dict(name='fc', checkpoint='w.pth'))),
        e=(dict(pretrained='openai', checkpoint='kept: not an init_cfg'), ),
        f=dict(init_cfg=[dict(type='Pretrained', checkpoint='v.pth')]))
    assert offline_model_cfg(cfg) is cfg
    assert cfg == dict(
        a=dict(pretrained=None, init_cfg=None),
        b=[dict(init_cfg=[dict(type='Kaiming', layer='Conv2d')])],
        c=dict(init_cfg=dict(type='Kaiming'), pretrained=None),
        d=dict(init_cfg=dict(type='Constant', val=1,
                             override=dict(name='fc', checkpoint=None))),
        e=(dict(pretrained=None, checkpoint='kept: not an init_cfg'), ),
        f=dict(init_cfg=None))


def test_offline_rewrite_works_on_a_loaded_config():
    cfg = Config(dict(model=dict(backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
        pretrained='open-mmlab://resnet50_v1c')))
    offline_model_cfg(cfg.model)
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.pretrained is None
