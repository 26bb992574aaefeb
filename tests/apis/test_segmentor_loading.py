"""load_segmentor: the config's model as it is plus every checkpoint weight."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from semples_mmseg.apis import load_segmentor

REPO = Path(__file__).resolve().parents[2]
TINY_CLIMS = str(REPO / 'tests/data/configs/semples_clims_tiny_fixture.py')
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


def test_real_config_loads_a_checkpoint_without_any_initial_weight_file(
        tmp_path):
    # the intent of the former CAM-only rewrite: CLIMS on COCO names an
    # ImageNet file and CLIP 'openai'; neither is needed, nothing is edited
    cfg = Config.fromfile(str(REPO / 'configs/clims/clims_coco.py')).model
    before = copy.deepcopy(cfg.to_dict())
    torch.manual_seed(0)
    source = MODELS.build(cfg)
    torch.save({'state_dict': source.state_dict(),
                'meta': dict(dataset_meta=dict(classes=('background', 'x')))},
               tmp_path / 'clims.pth')
    model = load_segmentor(cfg, str(tmp_path / 'clims.pth'))
    assert cfg.to_dict() == before
    assert not model.training and model.dataset_meta['classes'][1] == 'x'
    assert not model.clip_guide.is_built
    for k, v in source.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_checkpoint_keys_that_do_not_fit_are_named(tmp_path):
    cfg = Config.fromfile(TINY).model
    state = MODELS.build(cfg).state_dict()
    del state['cam_net.head.weight']
    state['cam_net.extra'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r'cut.pth does not fit .*'
                       r'cam_net.head.weight.*cam_net.extra'):
        load_segmentor(cfg, {'state_dict': state}, source='cut.pth')
    # a DataParallel-style prefix is stripped
    full = {f'module.{k}': v for k, v in MODELS.build(cfg).state_dict().items()}
    assert load_segmentor(cfg, full).cam_net.num_classes == 20
