"""The home-scene image control: each class's prompt is the mean CLIP
embedding of bare renders of its home scene."""
import numpy as np
import torch
import torch.nn.functional as F

from cooccur_demo.world import HOME_SCENE, SCENE_NAMES
from cooccur_demo.world.clip_pairs import normalise_images
from cooccur_demo.world.scenes import paint_scene
from mmseg.registry import MODELS


class FirstPixelsGuide(torch.nn.Module):
    """A stand-in CLIP: 8-pixel images -> their first 4 values, normalised."""
    image_size = 8

    def encode_images(self, x):
        return F.normalize(x.flatten(1)[:, :4], dim=-1)


def test_home_scene_image_prompts_are_the_mean_scene_embedding():
    prompts = MODELS.build(dict(type='HomeSceneImagePrompts', num_renders=2,
                                image_size=16, embed_dims=16))
    guide = FirstPixelsGuide()
    out = prompts(guide)
    assert out.shape == (6, 4)
    rng = np.random.default_rng(0)  # the renders of class 0, then class 1
    boat = normalise_images(np.stack(
        [paint_scene(HOME_SCENE[0], rng, 16) for _ in range(2)]), 8)
    expected = F.normalize(guide.encode_images(boat).mean(0), dim=0)
    torch.testing.assert_close(out[0], expected)
    assert SCENE_NAMES[HOME_SCENE[0]] == 'water'
    assert prompts(guide) is not None and len(prompts._cache) == 1
