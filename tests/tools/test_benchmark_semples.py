import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from test_train_semples import TINY, run

REPO = Path(__file__).resolve().parents[2]
# the benchmark and the step formulations it imports as a sibling module
sys.path.insert(0, str(REPO / 'tools' / 'analysis_tools'))
from training_step_formulations import (  # noqa: E402
    FORMULATIONS, formulation_context, step_losses)
STAGES = {1: ('match', ), 2: ('prompt', ), 3: ('match', 'refine')}


@pytest.mark.parametrize('stage', [1, 2, 3])
def test_benchmark_prints_the_three_formulations_and_ratios(stage):
    out = run([sys.executable, 'tools/analysis_tools/benchmark_semples.py',
               TINY, '--stage', str(stage), '--batch-size', '2', '--rounds',
               '2', '--warmup', '0', '--size', '32'])
    rows = {}
    for line in out.splitlines():
        match = re.match(r'\| (ours|floor|reference) \| (.*) \|$', line)
        if match:
            rows[match.group(1)] = [c.strip() for c in match.group(2).split('|')]
    assert set(rows) == set(FORMULATIONS)
    for name, (wall, cpu, fastest, image, text, ratio) in rows.items():
        assert float(wall) > 0 and float(cpu) > 0
        assert 0 < float(fastest) <= float(wall)
        assert 0 < float(image.rstrip('%')) < 100
        assert 0 <= float(text.rstrip('%')) < 100
        if name == 'ours':
            assert ratio == '1.00x'
    if stage == 2:  # the prompts go through the text encoder
        assert float(rows['ours'][4].rstrip('%')) > 0
    assert re.search(r'floor / ours: [\d.]+x \(wall\), [\d.]+x \(CPU\), '
                     r'[\d.]+x \(fastest steps\)', out)
    assert re.search(r'reference / ours: [\d.]+x \(wall\)', out)
    rate = re.search(r'([\d.e+-]+) GFLOP/s achieved; a 2048\^3 matrix product '
                     r'in the same run: ([\d.e+-]+) GFLOP/s', out)
    assert rate and float(rate.group(1)) > 0 and float(rate.group(2)) > 0
    assert 'load average' in out


def tiny_model(dtype):
    cfg = Config.fromfile(TINY)
    torch.manual_seed(0)
    cfg.model.clip_guide.pretrained = None  # random CLIP, built on first use
    model = MODELS.build(cfg.model).to(dtype)  # reads no weight file
    with torch.no_grad():  # live AAF units: every CAM gradient is non-zero
        model.cam_net.head.weight.mul_(3000.)  # CAM ranges beyond mask eps
        model.cam_net.aaf.attn_feat_ffn[1].bias.fill_(5.)
        model.cam_net.aaf.attn_head_ffn[0].weight.fill_(0.1)
        model.prompt_learner.prompts.normal_()
    # built after .to(dtype): CLIP and its class texts in that dtype
    assert model.clip_guide.build().class_text_features.dtype == dtype
    return model.eval()


def batch(dtype):
    torch.manual_seed(1)
    inputs = torch.randn(3, 3, 32, 32, dtype=dtype)
    labels = [[1, 0, 0, 1] + [0] * 16, [0] * 20, [0, 1] + [0] * 17 + [1]]
    samples = [SegDataSample(metainfo=dict(
        img_labels=np.asarray(row, np.float32))) for row in labels]
    return inputs, samples


def losses_and_grads(model, inputs, samples, formulation):
    params = [p for p in model.parameters() if p.requires_grad]
    with formulation_context(model, formulation):
        losses = step_losses(model, inputs, samples, formulation)
        total, _ = model.parse_losses(losses)
        grads = torch.autograd.grad(total, params, allow_unused=True)
        if formulation == 'reference':  # it keeps CLIP weight gradients
            assert all(p.requires_grad for p in model.clip_guide.clip.parameters())
    assert not any(p.requires_grad for p in model.clip_guide.clip.parameters())
    assert model.clip_guide.fast_image_tower
    return losses, grads


@pytest.mark.parametrize('stage', [1, 2, 3])
@pytest.mark.parametrize('dtype, tol', [(torch.float32, 1e-5),
                                        (torch.float64, 1e-14)])
def test_three_formulations_give_the_same_losses_and_gradients(
        stage, dtype, tol):
    model = tiny_model(dtype)
    model.set_stage(losses=STAGES[stage])
    inputs, samples = batch(dtype)
    ours, ours_grads = losses_and_grads(model, inputs, samples, 'ours')
    assert len(ours) >= 3 and all(torch.isfinite(v) for v in ours.values())
    for name in ('floor', 'reference'):
        other, other_grads = losses_and_grads(model, inputs, samples, name)
        assert set(other) == set(ours)
        for key, value in ours.items():
            assert torch.allclose(value, other[key], atol=tol, rtol=0), (
                name, key, value, other[key])
        for g, o in zip(ours_grads, other_grads):
            assert (g is None) == (o is None)
            if g is not None:
                assert torch.allclose(g, o, atol=tol, rtol=0), name
    trained = [g for g in ours_grads if g is not None]
    assert trained and any(g.abs().max() > 0 for g in trained)


def test_no_labelled_pair_gives_zero_losses_in_every_formulation():
    model = tiny_model(torch.float32)
    model.set_stage(losses=STAGES[3])
    inputs, samples = batch(torch.float32)
    for s in samples:
        s.set_metainfo(dict(img_labels=np.zeros(20, np.float32)))
    for name in FORMULATIONS:
        with formulation_context(model, name):
            losses = step_losses(model, inputs, samples, name)
        total, _ = model.parse_losses(losses)
        assert total.item() == 0, name


def test_unknown_formulation_and_joint_training_are_named():
    model = tiny_model(torch.float32)
    with pytest.raises(ValueError, match="'fastest'"):
        with formulation_context(model, 'fastest'):
            pass
    model.set_stage(losses=('match', 'prompt'), joint=True)
    inputs, samples = batch(torch.float32)
    assert 'loss_prompt' in step_losses(model, inputs, samples, 'ours')
    with pytest.raises(ValueError, match='not joint training'):
        step_losses(model, inputs, samples, 'floor')


def test_amp_and_table_options_write_one_row_per_run(tmp_path):
    table = tmp_path / 'gpu_check' / 'table.md'
    for amp in ('bf16', 'fp16'):  # the second run appends under the header
        out = run([sys.executable, 'tools/analysis_tools/benchmark_semples.py',
                   TINY, '--stage', '1', '--rounds', '1', '--warmup', '0',
                   '--size', '32', '--formulations', 'ours', '--amp', amp,
                   '--gpus', '8', '--dataset-size', '10582',
                   '--loader-images', '2', '--table-out', str(table)])
        assert f'precision {amp}' in out
    lines = table.read_text().splitlines()
    assert lines[0].startswith('| config | stage | precision |')
    assert len(lines) == 4  # header, rule, two rows
    assert lines[2].split('|')[3].strip() == 'bf16'
    cells = [c.strip() for c in lines[3].strip('|').split('|')]
    amp = 'fp16'
    (config, stage, precision, device, batch, step_ms, images_s, peak,
     share, loader, workers, gpus, hours) = cells
    assert (config, stage, precision, device) == (
        'semples_tiny_fixture.py', '1', amp, 'cpu')
    assert batch == '2'  # the tiny config's per-GPU batch
    assert peak == 'n/a'  # no GPU memory on a CPU
    assert float(step_ms) > 0 and float(loader) > 0
    assert float(images_s) == pytest.approx(2 / (float(step_ms) / 1000),
                                            rel=0.02)
    assert 0 < float(share.rstrip('%')) < 100
    # ceil of the rounded cells' ratio, up to their rounding
    assert abs(float(images_s) / float(loader) - int(workers)) < 1.01
    assert int(workers) >= 1
    # 1 epoch x ceil(ceil(10582 / 8) / 2) = 662 steps
    assert gpus == '8'
    assert float(hours) == pytest.approx(662 * float(step_ms) / 1000 / 3600,
                                         rel=0.02, abs=0.006)


def test_stage_helpers_read_the_real_voc_config():
    import benchmark_semples as bench
    cfg = Config.fromfile(str(REPO / 'configs/semples/weaktr_voc.py'))
    assert bench.config_gpus(str(REPO / 'configs/semples/weaktr_voc.py')) == 8
    assert bench.config_gpus(TINY) is None
    assert [bench.stage_batch(cfg, bench.stage_spec(cfg, s))
            for s in (1, 2, 3)] == [8, 16, 8]
    pipes = [bench.stage_pipeline(cfg, bench.stage_spec(cfg, s))
             for s in (1, 2)]
    assert any(t['type'] == 'PretrainRandAugment' for t in pipes[0])
    assert not any(t['type'] == 'PretrainRandAugment' for t in pipes[1])
    # 60 epochs x ceil(ceil(10582 / 8) / 8) = 60 x 166 steps of 0.1 s
    assert bench.stage_hours(0.1, 60, 10582, 8, 8) == pytest.approx(
        60 * 166 * 0.1 / 3600)
    rate = bench.loader_images_per_second(pipes[1], 2, 20)
    assert rate > 0
