"""One named parameter group per trainable sub-module of the segmentor."""
import inspect
from collections import OrderedDict

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, \
    OPTIMIZERS
from torch import nn


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StageParamGroupsConstructor(DefaultOptimWrapperConstructor):
    """Builds an optimizer whose param groups are named after sub-modules.

    Every parameter with ``requires_grad`` goes into the group named after
    the top-level child that owns it (``cam_net``, ``prompt_learner``, ...),
    with the optimizer's base lr and weight decay (METHOD section 5: decay on
    every trained tensor, biases and prompts included). ``SemPLeSTrainLoop``
    then sets each group's lr per stage; a group that a stage does not train
    gets lr 0 (and receives no gradient).

    ``paramwise_cfg=dict(groups=dict(classifier='cam_net.classifier'))``
    puts the parameters under a name prefix into a group of their own (CLIMS
    trains its classifier at 10x the backbone's lr).
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        prefixes = dict((self.paramwise_cfg or {}).get('groups', {}))
        groups: 'OrderedDict[str, list]' = OrderedDict()
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            group = next((g for g, prefix in prefixes.items()
                          if name.startswith(prefix + '.')),
                         name.split('.', 1)[0])
            groups.setdefault(group, []).append(param)
        unused = set(prefixes) - set(groups)
        if unused:
            raise ValueError(f'paramwise_cfg.groups {sorted(unused)} match no '
                             'trainable parameter of '
                             f'{type(model).__name__}')
        if not groups:
            raise ValueError(f'{type(model).__name__} has no parameter '
                             'with requires_grad=True to optimise')
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cls)
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = [
            dict(params=params, name=name) for name, params in groups.items()
        ]
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
