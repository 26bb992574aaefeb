"""The frozen CLIP guide and the learnable background prompts."""
from .clip_guide import FrozenCLIPGuide
from .prompt_learner import BackgroundPromptLearner

__all__ = ['FrozenCLIPGuide', 'BackgroundPromptLearner']
