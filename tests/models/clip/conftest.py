import pytest

from semples_mmseg.models.clip import FrozenCLIPGuide

TINY_CLIP = dict(
    embed_dim=16,
    vision_cfg=dict(layers=1, width=32, patch_size=8, image_size=16,
                    head_width=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=16, heads=2,
                  layers=2))


@pytest.fixture
def tiny_clip_cfg():
    """open_clip.CLIP keyword arguments of a tiny model (width 16)."""
    return dict(TINY_CLIP)


@pytest.fixture
def tiny_guide():
    return FrozenCLIPGuide(
        class_names=['cat', 'dining table'], pretrained=None,
        model_cfg=TINY_CLIP)
