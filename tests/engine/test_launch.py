import pytest
import torch
from mmengine.config import Config

from semples_mmseg.engine.launch import prepare_launch, replace_sync_bn


def test_sync_bn_is_replaced_everywhere():
    model = dict(backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)),
                 heads=[dict(norm_cfg=dict(type='MMSyncBN')),
                        dict(norm_cfg=dict(type='BN'))])
    assert replace_sync_bn(model) == 2
    assert model['backbone']['norm_cfg'] == dict(type='BN', requires_grad=True)
    assert [h['norm_cfg']['type'] for h in model['heads']] == ['BN', 'BN']


def test_nothing_changes_without_the_pytorch_launcher():
    cfg = Config(dict(model=dict(norm_cfg=dict(type='SyncBN'))))
    prepare_launch(cfg, 'none')
    assert cfg.model.norm_cfg.type == 'SyncBN'
    assert cfg.launcher == 'none' and 'model_wrapper_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-host behaviour')
def test_cpu_host_gets_gloo_and_device_ids_none(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: False)
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda **kw: calls.append(kw))
    monkeypatch.setattr(torch.distributed, 'get_rank', lambda: 1)
    monkeypatch.setattr(torch.distributed, 'get_world_size', lambda: 2)
    monkeypatch.setenv('RANK', '1')
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg = Config(dict(model=dict(norm_cfg=dict(type='SyncBN')),
                      find_unused_parameters=True,
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    prepare_launch(cfg, 'pytorch')
    assert calls == [dict(backend='gloo', rank=1, world_size=2)]
    assert cfg.model.norm_cfg.type == 'BN'
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', device_ids=None,
        find_unused_parameters=True, broadcast_buffers=False)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
