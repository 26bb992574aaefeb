"""Optimizer constructors."""
from .stage_param_groups import StageParamGroupsConstructor

__all__ = ['StageParamGroupsConstructor']
