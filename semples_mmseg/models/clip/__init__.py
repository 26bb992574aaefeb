"""The frozen CLIP guide and the learnable background prompts."""
from .clip_guide import FrozenCLIPGuide
from .fixed_prompts import CachedImagePrompts, ManualBackgroundPrompts
from .prompt_learner import BackgroundPromptLearner

__all__ = [
    'FrozenCLIPGuide', 'BackgroundPromptLearner', 'CachedImagePrompts',
    'ManualBackgroundPrompts'
]
