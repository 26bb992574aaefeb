"""Fixed background prompts in place of learned ones (ablation controls)."""
from typing import Dict, Sequence

import torch
from torch import Tensor

from mmseg.registry import MODELS
from .prompt_learner import BackgroundPromptLearner


@MODELS.register_module()
class ManualBackgroundPrompts(BackgroundPromptLearner):
    """Per class a fixed, hand-written background text, e.g. "a photo of
    water." for boat (the CLIMS-style manual prompt), in place of the
    learned prompts of stage 3's L_refine.

    ``forward(guide)`` returns the (K, D) L2-normalised text embeddings of
    ``texts``. The learnable ``prompts`` of the parent are kept (and
    ignored) so checkpoints load both ways between this and
    ``BackgroundPromptLearner``.

    Args:
        texts: K background texts, one per class, in class order.
        prompt_length / embed_dims: as ``BackgroundPromptLearner`` (the
            shape of the ignored ``prompts``).
    """

    def __init__(self, *, texts: Sequence[str], prompt_length: int = 30,
                 embed_dims: int = 512) -> None:
        if not texts or not all(isinstance(t, str) and t for t in texts):
            raise ValueError('ManualBackgroundPrompts needs one non-empty '
                             f'text per class, got {texts!r}')
        super().__init__(num_classes=len(texts), prompt_length=prompt_length,
                         embed_dims=embed_dims)
        self.texts = tuple(texts)

    def forward(self, guide) -> Tensor:
        """(K, D) L2-normalised embeddings of ``texts`` (no gradient)."""
        return guide.encode_texts(list(self.texts)).to(self.prompts.dtype)


class CachedImagePrompts(BackgroundPromptLearner):
    """Base of prompts that are CLIP *image* embeddings: ``images(size)``
    gives (K, N, 3, S, S) images in CLIP's input space; ``forward`` returns
    the L2-normalised mean embedding of each class's N images, encoded once
    per guide and device."""

    def __init__(self, *, num_classes: int, prompt_length: int = 30,
                 embed_dims: int = 512) -> None:
        super().__init__(num_classes=num_classes,
                         prompt_length=prompt_length, embed_dims=embed_dims)
        self._cache: Dict[tuple, Tensor] = {}

    def images(self, size: int) -> Tensor:
        raise NotImplementedError

    def forward(self, guide) -> Tensor:
        device = self.prompts.device
        key = (id(guide), device)
        if key not in self._cache:
            x = self.images(guide.image_size)
            k, n = x.shape[:2]
            with torch.no_grad():
                emb = guide.encode_images(x.flatten(0, 1).to(device))
            mean = emb.view(k, n, -1).mean(1)
            self._cache[key] = torch.nn.functional.normalize(mean, dim=-1)
        return self._cache[key].to(self.prompts.dtype)
