"""One SemPLeS training step of a stage, split as mmengine's ``train_step``
runs it, on the tiny fixture configs: what the AMP tests compare.

``run_step`` goes the way of ``BaseModel.train_step`` (data preprocessor and
loss under ``optim_wrapper.optim_context``, ``parse_losses``, backward, step)
but looks between backward and step: which parameters received a gradient.
"""
import copy
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from semples_mmseg.engine.loops.stage_schedule import STAGE_DEFAULTS

REPO = Path(__file__).resolve().parents[2]
CONFIGS = {
    'weaktr': str(REPO / 'tests/data/configs/semples_tiny_fixture.py'),
    'clims': str(REPO / 'tests/data/configs/semples_clims_tiny_fixture.py'),
}
# |amp - fp32| <= ABS + REL * |fp32| for every logged loss and term, on the
# same batch and weights (fp16: 10-bit mantissa, bf16: 7-bit)
TOLERANCE = {torch.float16: (0.02, 0.01), torch.bfloat16: (0.08, 0.03)}


def tiny_model(name: str):
    """The fixture config's model, random weights (no file read), fp32."""
    cfg = Config.fromfile(CONFIGS[name])
    cfg.model.clip_guide.pretrained = None
    if name == 'clims':  # the opt-in NHWC layout (docs/GPU.md) under AMP
        cfg.model.cam_net.channels_last = True
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        if name == 'weaktr':  # live AAF units: every CAM gradient non-zero
            model.cam_net.head.weight.mul_(3000.)
            model.cam_net.aaf.attn_feat_ffn[1].bias.fill_(5.)
            model.cam_net.aaf.attn_head_ffn[0].weight.fill_(0.1)
        model.prompt_learner.prompts.normal_()
    model.clip_guide.build()  # one CLIP, copied with the model
    return model, cfg


def batch(size: int):
    """Three uint8 images (as the data loader gives them), 20 VOC labels:
    two pairs, no pair, two pairs."""
    gen = torch.Generator().manual_seed(1)
    inputs = [torch.randint(0, 256, (3, size, size), generator=gen,
                            dtype=torch.uint8) for _ in range(3)]
    labels = [[1, 0, 0, 1] + [0] * 16, [0] * 20, [0, 1] + [0] * 17 + [1]]
    samples = [SegDataSample(metainfo=dict(
        img_labels=np.asarray(row, np.float32), img_shape=(size, size),
        ori_shape=(size, size))) for row in labels]
    return dict(inputs=inputs, data_samples=samples)


def optim_wrapper(model, cfg, stage: int, amp_dtype: Optional[str] = None):
    """The config's optimizer (named stage groups), the stage's lrs; with
    ``amp_dtype`` mmengine's AmpOptimWrapper as ``tools/train.py --amp``
    makes it (dynamic loss scale), in that dtype."""
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp_dtype is not None:
        wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic',
                           dtype=amp_dtype)
    optim = build_optim_wrapper(model, wrapper_cfg)
    spec = stage_spec(cfg, stage)
    for group in optim.optimizer.param_groups:
        group['lr'] = spec['lr'].get(group.get('name'), 0.0)
    return optim


def stage_spec(cfg, stage: int) -> Dict:
    """The config's stage entry over the loop's defaults."""
    spec = dict(STAGE_DEFAULTS[stage])
    spec.update(next(s for s in cfg.train_cfg.stages if s['stage'] == stage))
    return spec


def run_step(model, optim, data, *,
             autocast: Callable = nullcontext) -> Dict:
    """One step; returns the losses (floats), the names of the parameters
    that received a non-zero gradient, the loss dtype and whether the step
    was finite. ``autocast`` adds a context (CPU autocast: plain
    OptimWrapper has none of its own)."""
    with optim.optim_context(model), autocast():
        data = model.data_preprocessor(data, True)
        losses = model._run_forward(data, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    optim.backward(loss)
    active = {name for name, p in model.named_parameters()
              if p.grad is not None and bool((p.grad != 0).any())}
    optim.step()
    optim.zero_grad()
    return dict(losses={k: float(v) for k, v in losses.items()},
                active=active, loss_dtype=loss.dtype,
                finite=all(np.isfinite(float(v)) for v in losses.values()))


def compare_stage(name: str, stage: int, device: str, dtype: torch.dtype,
                  *, amp_wrapper: bool) -> Dict:
    """The stage's step in fp32 on the CPU and in ``dtype`` on ``device``
    (AmpOptimWrapper when ``amp_wrapper``, else CPU autocast), same
    weights and batch; asserts what the AMP tests promise."""
    model, cfg = tiny_model(name)
    spec = stage_spec(cfg, stage)
    model.set_stage(losses=spec['losses'], mask_eps=spec['mask_eps'])
    model.eval()  # no drop-path draws: both devices compute the same step
    data = batch(cfg.model.data_preprocessor.size[0])
    low = copy.deepcopy(model).to(device)

    ref_optim = optim_wrapper(model, cfg, stage)
    reference = run_step(model, ref_optim, copy.deepcopy(data))

    clip_before = {k: v.clone() for k, v in
                   low.clip_guide.clip.state_dict().items()}
    amp_dtype = str(dtype).replace('torch.', '')
    optim = optim_wrapper(low, cfg, stage,
                             amp_dtype if amp_wrapper else None)

    def cpu_autocast():
        return torch.autocast(device_type=torch.device(device).type,
                              dtype=dtype)

    result = run_step(low, optim, copy.deepcopy(data),
                      autocast=nullcontext if amp_wrapper else cpu_autocast)

    assert reference['finite'] and result['finite'], result['losses']
    assert result['loss_dtype'] == torch.float32
    assert result['active'] == reference['active'], (
        sorted(result['active'] ^ reference['active']))
    assert reference['active']  # the stage trains something
    rel, abs_ = TOLERANCE[dtype]
    assert set(result['losses']) == set(reference['losses'])
    for key, want in reference['losses'].items():
        got = result['losses'][key]
        assert abs(got - want) <= abs_ + rel * abs(want), (key, got, want)
    # CLIP: frozen, never in the optimizer, never updated, kept in fp32
    clip = low.clip_guide.clip
    assert not any(p.requires_grad for p in clip.parameters())
    assert all(torch.equal(v, clip_before[k])
               for k, v in clip.state_dict().items())
    assert all(p.dtype == torch.float32 for p in clip.parameters())
    # fp32 master weights (and optimizer state) of the prompts and CAM head
    trained = [low.prompt_learner.prompts, *low.cam_net.parameters()]
    assert all(p.dtype == torch.float32 for p in trained)
    for state in optim.optimizer.state.values():
        assert all(v.dtype == torch.float32 for v in state.values()
                   if torch.is_tensor(v) and v.is_floating_point())
    return dict(reference=reference, result=result)
