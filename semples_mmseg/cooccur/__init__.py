"""The co-occurrence experiment: toy CLIP, world evaluation, ablation runs.

Shared by ``tools/cooccur/run_demo.py``, ``tools/cooccur/probe_prompts.py``,
``tools/cooccur/train_toy_clip.py`` and ``tools/ablate.py`` (thin command
lines over these modules).
"""
from .scene_prompts import HomeSceneImagePrompts

__all__ = ['HomeSceneImagePrompts']
