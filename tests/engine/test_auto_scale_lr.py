"""auto_scale_lr is honoured per stage, and the real configs give the
reference's learning rates at their GPU counts.

The reference (SemPLeS' and WeakTr's main*.py) always scales a nominal rate:
``lr = args.lr * batch * world_size / 512``; its scripts pass
``--lr 0.000512 / 0.1 / 0.000512`` at total batch 64 / 128 / 64 on VOC and
``--lr 0.00000512 / 0.01 / 0.00000512`` at 32 / 128 / 24 on COCO, and WeakTr
``--lr 6e-4`` at 64. Our configs hold those nominal rates with
``auto_scale_lr = dict(enable=True, base_batch_size=512)``.
"""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

import semples_mmseg  # noqa: F401
from semples_mmseg.engine.loops.semples_train_loop import SemPLeSTrainLoop
from semples_mmseg.engine.loops.stage_schedule import StageSchedule

REPO = Path(__file__).resolve().parents[2]
GROUPS = ('cam_net', 'prompt_learner', 'classifier')

# config, GPUs it is named for, per stage: (reference nominal lr, total
# batch) and the effective rate of METHOD section 5 / the CLIMS scripts
SEMPLES_REFERENCE = [
    ('semples/weaktr_voc.py', 8,
     [(5.12e-4, 64, 6.4e-5), (0.1, 128, 2.5e-2), (5.12e-4, 64, 6.4e-5)]),
    ('semples/weaktr_coco.py', 8,
     [(5.12e-6, 32, 3.2e-7), (0.01, 128, 2.5e-3), (5.12e-6, 24, 2.4e-7)]),
    ('semples/weaktr_coco90.py', 8,
     [(5.12e-6, 32, 3.2e-7), (0.01, 128, 2.5e-3), (5.12e-6, 24, 2.4e-7)]),
    ('semples/ablations/'
     'semples-prompt-i-only_weaktr-deit-s_8xb8-3x60e_voc-224.py', 8,
     [(5.12e-4, 64, 6.4e-5), (0.1, 128, 2.5e-2), (5.12e-4, 64, 6.4e-5)]),
]


def stage_loop(cfg, world_size: int) -> SemPLeSTrainLoop:
    """The loop's lr state without a runner's model or data: stages, their
    batch per GPU and a runner that only knows auto_scale_lr / world size."""
    loop = SemPLeSTrainLoop.__new__(SemPLeSTrainLoop)
    loop.schedule = StageSchedule(cfg.train_cfg.stages)
    top = cfg.train_dataloader.batch_size
    loop.stage_loaders = [
        SimpleNamespace(
            batch_size=(s.dataloader or {}).get('batch_size', top))
        for s in loop.schedule
    ]
    optimizer = SimpleNamespace(
        param_groups=[dict(name=g, lr=-1.0) for g in GROUPS])
    loop._runner = SimpleNamespace(
        auto_scale_lr=cfg.get('auto_scale_lr'), world_size=world_size,
        optim_wrapper=SimpleNamespace(optimizer=optimizer))
    return loop


def stage_start_lrs(loop, index) -> dict:
    loop._epoch = loop.schedule.starts[index]
    loop._set_epoch_lr(index)
    return {g['name']: g['lr']
            for g in loop.runner.optim_wrapper.optimizer.param_groups}


@pytest.mark.parametrize('name,gpus,reference', SEMPLES_REFERENCE)
def test_semples_stage_lrs_equal_the_reference_at_the_config_gpu_count(
        name, gpus, reference):
    cfg = Config.fromfile(str(REPO / 'configs' / name))
    loop = stage_loop(cfg, gpus)
    for index, (nominal, total, effective) in enumerate(reference):
        spec = loop.schedule[index]
        assert gpus * loop.stage_loaders[index].batch_size == total
        trained = 'prompt_learner' if spec.stage == 2 else 'cam_net'
        assert spec.lr == {trained: nominal}
        lrs = stage_start_lrs(loop, index)
        # bit for bit what the reference computes, and METHOD's numbers
        assert lrs[trained] == nominal * total * 1 / 512.0
        assert lrs[trained] == pytest.approx(effective, rel=1e-12)
        assert all(v == 0.0 for k, v in lrs.items() if k != trained)


def test_semples_clims_stage_lrs_are_clims_rates_at_16():
    cfg = Config.fromfile(str(REPO / 'configs/semples/clims_voc.py'))
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16)
    loop = stage_loop(cfg, 4)
    assert [4 * b.batch_size for b in loop.stage_loaders] == [16, 16, 16]
    assert stage_start_lrs(loop, 0) == dict(
        cam_net=2.5e-4, classifier=2.5e-3, prompt_learner=0.0)
    # --cfg-options auto_scale_lr.enable=True on 2 GPUs: total batch 8
    cfg.auto_scale_lr.enable = True
    loop = stage_loop(cfg, 2)
    assert stage_start_lrs(loop, 0) == dict(
        cam_net=1.25e-4, classifier=1.25e-3, prompt_learner=0.0)


def test_auto_scale_lr_scales_each_stage_by_its_own_total_batch():
    cfg = Config.fromfile(str(REPO / 'configs/semples/weaktr_voc.py'))
    # 4 GPUs instead of 8: every stage's total batch halves, so do the lrs
    loop = stage_loop(cfg, 4)
    assert [loop.stage_batch_scale(i) for i in range(3)] == [
        32 / 512, 64 / 512, 32 / 512]
    assert stage_start_lrs(loop, 1)['prompt_learner'] == 0.1 * 64 / 512
    # later epochs: the cosine factor times the same scale
    loop._epoch = loop.schedule.starts[0] + 30
    loop._set_epoch_lr(0)
    assert loop.runner.optim_wrapper.optimizer.param_groups[0]['lr'] == \
        pytest.approx(5.12e-4 * 32 / 512 * 0.5)
    # disabled: the configured rates as they are (mmengine's meaning)
    cfg.auto_scale_lr.enable = False
    loop = stage_loop(cfg, 4)
    assert stage_start_lrs(loop, 0)['cam_net'] == 5.12e-4
    # enabled without a base batch size is refused, naming the key
    cfg.auto_scale_lr = dict(enable=True)
    loop = stage_loop(cfg, 4)
    with pytest.raises(ValueError, match='no base_batch_size'):
        stage_start_lrs(loop, 0)


@pytest.mark.parametrize('name,gpus,nominal,total,warmup_start', [
    ('weaktr/weaktr_voc.py', 8, 6e-4, 64, 1e-6),
    ('weaktr/weaktr_coco.py', 8, 5e-4, 32, 1e-6),
    ('weaktr/weaktr_coco90.py', 8, 5e-4, 32, 1e-6),
])
def test_weaktr_baseline_lr_is_mmengine_scaled_reference_rate(
        name, gpus, nominal, total, warmup_start):
    cfg = Config.fromfile(str(REPO / 'configs' / name))
    assert cfg.optim_wrapper.optimizer.lr == nominal
    assert gpus * cfg.train_dataloader.batch_size == total
    wrapper = OptimWrapper(torch.optim.AdamW(
        [torch.nn.Parameter(torch.zeros(1))], lr=nominal))
    runner = SimpleNamespace(
        _train_dataloader=cfg.train_dataloader, world_size=gpus,
        logger=SimpleNamespace(info=lambda msg: None), param_schedulers=None)
    Runner.scale_lr(runner, wrapper, cfg.auto_scale_lr)  # mmengine's own
    lr = wrapper.optimizer.param_groups[0]['lr']
    assert lr == nominal * total / 512.0
    warmup = cfg.param_scheduler[0]
    assert warmup.type == 'LinearLR'
    assert warmup.start_factor * lr == pytest.approx(warmup_start)


def test_every_config_can_take_auto_scale_lr():
    """mmseg users switch it with --cfg-options auto_scale_lr.enable=...:
    every config has a base_batch_size for it (toy configs disable it)."""
    configs = sorted(p for p in (REPO / 'configs').rglob('*.py')
                     if '_base_' not in p.parts)
    assert len(configs) >= 24
    for path in configs:
        cfg = Config.fromfile(str(path))
        assert 'enable' in cfg.get('auto_scale_lr', {}), path
        if cfg.auto_scale_lr.enable:
            assert cfg.auto_scale_lr.base_batch_size > 0, path
        else:
            assert 'base_batch_size' in cfg.auto_scale_lr, path
