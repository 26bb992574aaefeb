"""Every config under configs/ loads and builds its model (weights offline)."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg.registry import MODELS
from semples_mmseg.testing import offline_model_cfg

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.parts)


def test_there_are_configs():
    assert len(CONFIGS) >= 3, CONFIGS


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds_its_model(path):
    cfg = Config.fromfile(str(REPO / path))
    assert cfg.custom_imports['imports'] == ['semples_mmseg']
    model = MODELS.build(offline_model_cfg(cfg.model))
    assert sum(p.numel() for p in model.parameters()) > 0


def test_offline_rewrite():
    cfg = dict(a=dict(pretrained='x.pth', init_cfg=dict(
        type='Pretrained', checkpoint='y.pth')), b=[dict(checkpoint='z')],
        c=dict(init_cfg=dict(type='Kaiming')))
    offline_model_cfg(cfg)
    assert cfg == dict(a=dict(pretrained=None, init_cfg=None),
                       b=[dict(checkpoint=None)],
                       c=dict(init_cfg=dict(type='Kaiming')))
