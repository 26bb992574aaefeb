import pytest
import torch
from torch import nn

from semples_mmseg.engine.optimizers import StageParamGroupsConstructor


class TwoPart(nn.Module):

    def __init__(self):
        super().__init__()
        self.cam_net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        self.prompt_learner = nn.Linear(1, 1)
        self.frozen = nn.Linear(3, 3)
        self.frozen.requires_grad_(False)


def test_one_named_group_per_trainable_child_with_decay_everywhere():
    ctor = StageParamGroupsConstructor(
        dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.03)))
    wrapper = ctor(TwoPart())
    groups = wrapper.optimizer.param_groups
    assert [g['name'] for g in groups] == ['cam_net', 'prompt_learner']
    assert [len(g['params']) for g in groups] == [4, 2]  # weights + biases
    assert all(g['weight_decay'] == 0.03 for g in groups)
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)


def test_nothing_trainable_is_an_error_naming_the_model():
    model = TwoPart().requires_grad_(False)
    ctor = StageParamGroupsConstructor(dict(optimizer=dict(type='SGD', lr=1)))
    with pytest.raises(ValueError, match='TwoPart'):
        ctor(model)


def test_prefix_groups_split_a_module():
    ctor = StageParamGroupsConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1)),
        paramwise_cfg=dict(groups=dict(head='cam_net.1')))
    groups = ctor(TwoPart()).optimizer.param_groups
    assert [g['name'] for g in groups] == ['cam_net', 'head', 'prompt_learner']
    assert [len(g['params']) for g in groups] == [2, 2, 2]
    ctor = StageParamGroupsConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1)),
        paramwise_cfg=dict(groups=dict(x='cam_net.7')))
    with pytest.raises(ValueError, match=r"\['x'\]"):
        ctor(TwoPart())
