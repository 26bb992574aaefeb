"""prepare_launch rewrites the loaded config for CPU hosts, and only there."""
import datetime
import weakref
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

import semples_mmseg.engine.cpu_distributed as cpu_distributed
from semples_mmseg.engine.cpu_distributed import (finish_launch,
                                                  prepare_launch,
                                                  replace_sync_bn)

TORCHRUN_ENV = dict(RANK='1', WORLD_SIZE='2', MASTER_ADDR='127.0.0.1',
                    MASTER_PORT='29999', LOCAL_RANK='1')


@pytest.fixture
def cpu_host(monkeypatch):
    """A CUDA-less host under torchrun, with a fake process group."""
    calls = []
    monkeypatch.setattr(cpu_distributed.torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(cpu_distributed.dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(cpu_distributed.dist, 'init_process_group',
                        lambda **kw: calls.append(kw))
    monkeypatch.setattr(cpu_distributed.dist, 'get_rank', lambda: 1)
    monkeypatch.setattr(cpu_distributed.dist, 'get_world_size', lambda: 2)
    for key, value in TORCHRUN_ENV.items():
        monkeypatch.setenv(key, value)
    return calls


def test_sync_bn_is_replaced_at_any_depth():
    model = dict(
        backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True)),
        heads=[dict(norm_cfg=dict(type='MMSyncBN')),
               dict(norm_cfg=dict(type='BN')),
               dict(sub=(dict(deeper=dict(type='SyncBatchNorm')), ))])
    assert replace_sync_bn(model) == 3
    assert model['backbone']['norm_cfg'] == dict(type='BN', requires_grad=True)
    assert [h['norm_cfg']['type'] for h in model['heads'][:2]] == ['BN', 'BN']
    assert model['heads'][2]['sub'][0]['deeper'] == dict(type='BN')


def test_nothing_changes_without_the_pytorch_launcher(cpu_host):
    original = dict(model=dict(norm_cfg=dict(type='SyncBN')),
                    env_cfg=dict(dist_cfg=dict(backend='nccl')))
    for launcher in ('none', 'slurm', 'mpi'):
        cfg = Config(original)
        prepare_launch(cfg, launcher)
        assert cfg.launcher == launcher
        cfg_dict = cfg.to_dict()
        del cfg_dict['launcher']
        assert cfg_dict == original
    assert cpu_host == []


def test_nothing_changes_on_a_cuda_host(cpu_host, monkeypatch):
    monkeypatch.setattr(cpu_distributed.torch.cuda, 'is_available', lambda: True)
    cfg = Config(dict(model=dict(norm_cfg=dict(type='SyncBN'))))
    prepare_launch(cfg, 'pytorch')
    assert cfg.model.norm_cfg.type == 'SyncBN'
    assert 'model_wrapper_cfg' not in cfg and cpu_host == []


def test_cpu_host_gets_gloo_device_ids_none_and_bn(cpu_host):
    cfg = Config(dict(
        model=dict(backbone=dict(norm_cfg=dict(type='SyncBN')),
                   decode_head=dict(norm_cfg=dict(type='SyncBN'))),
        find_unused_parameters=True, sync_bn='torch',
        env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60))))
    prepare_launch(cfg, 'pytorch')
    assert cpu_host == [dict(backend='gloo', rank=1, world_size=2,
                             timeout=datetime.timedelta(seconds=60))]
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.decode_head.norm_cfg.type == 'BN'
    assert cfg.sync_bn is None
    # what mmengine's Runner.wrap_model builds by default, minus device_ids
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', device_ids=None,
        broadcast_buffers=False, find_unused_parameters=True)
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo', timeout=60)
    assert cfg.launcher == 'pytorch'


def test_a_users_wrapper_keeps_its_type_and_keys(cpu_host):
    cfg = Config(dict(model=dict(), find_unused_parameters=True,
                      model_wrapper_cfg=dict(
                          type='MMSeparateDistributedDataParallel',
                          broadcast_buffers=True)))
    prepare_launch(cfg, 'pytorch')
    # a DDP subclass: mmengine would add device_ids=[LOCAL_RANK]
    assert cfg.model_wrapper_cfg == dict(
        type='MMSeparateDistributedDataParallel', broadcast_buffers=True,
        device_ids=None)

    cfg = Config(dict(model=dict(), model_wrapper_cfg=dict(
        type='MMFullyShardedDataParallel', use_orig_params=True)))
    prepare_launch(cfg, 'pytorch')
    # not a DDP subclass: mmengine adds no device_ids, neither do we
    assert cfg.model_wrapper_cfg == dict(
        type='MMFullyShardedDataParallel', use_orig_params=True)


def test_missing_env_and_dist_cfg_are_created(cpu_host):
    cfg = Config(dict(model=dict()))
    prepare_launch(cfg, 'pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cpu_host == [dict(backend='gloo', rank=1, world_size=2)]


def test_an_existing_process_group_is_reused(cpu_host, monkeypatch):
    monkeypatch.setattr(cpu_distributed.dist, 'is_initialized', lambda: True)
    cfg = Config(dict(model=dict()))
    prepare_launch(cfg, 'pytorch')
    assert cpu_host == [] and cfg.model_wrapper_cfg.device_ids is None


def test_plain_python_with_launcher_pytorch_names_the_missing_variables(
        cpu_host, monkeypatch):
    monkeypatch.delenv('MASTER_PORT')
    monkeypatch.delenv('RANK')
    with pytest.raises(RuntimeError, match=r"\['RANK', 'MASTER_PORT'\].*"
                       'torchrun'):
        prepare_launch(Config(dict(model=dict())), 'pytorch')


def test_finish_destroys_an_initialised_group(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: True)
    monkeypatch.setattr(torch.distributed, 'barrier',
                        lambda: calls.append('barrier'))
    monkeypatch.setattr(torch.distributed, 'destroy_process_group',
                        lambda: calls.append('destroy'))
    finish_launch()
    assert calls == ['barrier', 'destroy']


def test_finish_frees_the_model_wrapper_before_destroying(monkeypatch):
    """A live DDP keeps the gloo group alive past destroy_process_group."""
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: True)
    net = torch.nn.Linear(2, 2)
    runner = SimpleNamespace(model=torch.nn.DataParallel(net))  # a wrapper
    wrapper = weakref.ref(runner.model)
    alive_at = []
    monkeypatch.setattr(torch.distributed, 'barrier',
                        lambda: alive_at.append(wrapper() is not None))
    monkeypatch.setattr(torch.distributed, 'destroy_process_group',
                        lambda: alive_at.append(wrapper() is not None))
    finish_launch(runner)
    assert runner.model is net
    assert alive_at == [False, False]


def test_finish_is_a_no_op_without_a_group(monkeypatch):
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: False)
    monkeypatch.setattr(torch.distributed, 'destroy_process_group',
                        lambda: pytest.fail('destroyed a missing group'))
    finish_launch()
