"""The co-occurrence demo: SemPLeS on a synthetic world, beside the library.

Importing this package (the demo configs' ``custom_imports``) registers its
two modules into mmseg's registries: ``CooccurWorldDataset`` (``DATASETS``)
and the ``HomeSceneImagePrompts`` control (``MODELS``). The rest (the world's
renderer, the toy CLIP's training, the experiment phases, the ablation runner)
is imported by the demo's tools when they need it.
"""
from .scene_prompts import HomeSceneImagePrompts
from .world import CooccurWorldDataset

__all__ = ['CooccurWorldDataset', 'HomeSceneImagePrompts']
