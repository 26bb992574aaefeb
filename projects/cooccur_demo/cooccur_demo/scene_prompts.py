"""The home scene's own CLIP image embedding as each class's background
prompt: the control that knows the true co-occurring background exactly."""
import numpy as np
import torch
from torch import Tensor

from mmseg.registry import MODELS
from semples_mmseg.models.clip import CachedImagePrompts

from .world import HOME_SCENE, OBJECT_NAMES
from .world.clip_pairs import normalise_images
from .world.scenes import paint_scene


@MODELS.register_module()
class HomeSceneImagePrompts(CachedImagePrompts):
    """Per class k: the mean CLIP image embedding of ``num_renders`` bare
    renders of k's home scene (water for boat), ImageNet-normalised as the
    segmentor feeds CLIP. Replaces the learned prompts in stage 3's L_refine.

    Args:
        num_renders: textures per scene (seeded by ``seed``).
        image_size: render side before CLIP's resize (the world's 96).
        seed: texture seed.
        prompt_length / embed_dims: the shape of the kept, ignored
            ``prompts`` (see ``ManualBackgroundPrompts``).
    """

    def __init__(self, *, num_renders: int = 16, image_size: int = 96,
                 seed: int = 0, prompt_length: int = 30,
                 embed_dims: int = 512) -> None:
        if num_renders < 1:
            raise ValueError(f'num_renders must be >= 1, got {num_renders}')
        super().__init__(num_classes=len(OBJECT_NAMES),
                         prompt_length=prompt_length, embed_dims=embed_dims)
        self.num_renders = num_renders
        self.image_size = image_size
        self.seed = seed

    def images(self, size: int) -> Tensor:
        """(K, N, 3, size, size) bare home-scene renders."""
        rng = np.random.default_rng(self.seed)
        per_class = []
        for k in range(len(OBJECT_NAMES)):
            renders = np.stack([
                paint_scene(HOME_SCENE[k], rng, self.image_size)
                for _ in range(self.num_renders)
            ])
            per_class.append(normalise_images(renders, size))
        return torch.stack(per_class)
