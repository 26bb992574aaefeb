import pytest
from fixtures.tiny_clip import build_tiny_clip_guide, tiny_clip_cfg as cfg


@pytest.fixture
def tiny_clip_cfg():
    """open_clip.CLIP keyword arguments of the tiny model (width 16)."""
    return cfg()


@pytest.fixture
def tiny_guide():
    return build_tiny_clip_guide()
