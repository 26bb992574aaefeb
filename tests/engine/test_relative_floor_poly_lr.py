"""RelativeFloorPolyLR with the retraining config's optimizer: the group
learning rates after k steps, by WeakTr's formula."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmseg.registry import PARAM_SCHEDULERS

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ('configs/weaktr_retrain/'
                 'segmenter_deit-s_gcd_1xb4-100e_voc-480_pseudo.py')
EPOCH_LENGTH = 3  # iterations per epoch: T = 300


class Segmentor(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(2, 2)
        self.decode_head = nn.Linear(2, 2)


def weaktr_lr(k, total=100 * EPOCH_LENGTH):
    """WeakTr's decoder lr after k steps: poly(0.9) from the base 1e-4 to
    min-lr 1e-5; the encoder takes 0.1 x this (its lr_scale)."""
    return (1e-4 - 1e-5) * (1 - k / total)**0.9 + 1e-5


def build():
    cfg = Config.fromfile(str(CONFIG))
    wrapper = build_optim_wrapper(Segmentor(), cfg.optim_wrapper)
    scheduler = PARAM_SCHEDULERS.build(
        cfg.param_scheduler[0],
        default_args=dict(optimizer=wrapper, epoch_length=EPOCH_LENGTH))
    return wrapper, scheduler


def group_lrs(wrapper):
    """(encoder, decoder) lr: the backbone's groups come first."""
    groups = wrapper.optimizer.param_groups
    return groups[0]['lr'], groups[-1]['lr']


def test_optimizer_is_nesterov_sgd_with_the_encoder_at_a_tenth():
    wrapper, _ = build()
    opt = wrapper.optimizer
    assert isinstance(opt, torch.optim.SGD)
    assert opt.defaults['nesterov'] and opt.defaults['momentum'] == 0.9
    assert opt.defaults['weight_decay'] == 0
    assert group_lrs(wrapper) == pytest.approx((1e-5, 1e-4))


@pytest.mark.parametrize('k', [1, 7, 150, 299])
def test_group_lrs_after_k_steps(k):
    wrapper, scheduler = build()
    assert scheduler.end == 300 and not scheduler.by_epoch
    for _ in range(k):
        wrapper.step()
        scheduler.step()
    encoder, decoder = group_lrs(wrapper)
    assert decoder == pytest.approx(weaktr_lr(k), rel=1e-9)
    assert encoder == pytest.approx(0.1 * weaktr_lr(k), rel=1e-9)


def test_mmengine_polylr_would_hold_the_encoder_at_its_floor():
    wrapper, _ = build()
    poly = PARAM_SCHEDULERS.build(
        dict(type='PolyLR', eta_min=1e-5, power=0.9, end=300,
             by_epoch=False), default_args=dict(optimizer=wrapper))
    for _ in range(150):
        wrapper.step()
        poly.step()
    assert group_lrs(wrapper)[0] == pytest.approx(1e-5)  # never decays


def test_an_end_is_needed():
    wrapper, _ = build()
    with pytest.raises(ValueError, match='needs an end'):
        PARAM_SCHEDULERS.build(
            dict(type='RelativeFloorPolyLR', eta_min_ratio=0.1,
                 by_epoch=False), default_args=dict(optimizer=wrapper))
