import pytest
from fixtures.tiny_clip import TINY_CLIP_CFG, build_tiny_clip


@pytest.fixture
def tiny_clip_cfg():
    """open_clip.CLIP keyword arguments of the tiny model (width 16)."""
    return dict(TINY_CLIP_CFG)


@pytest.fixture
def tiny_guide():
    return build_tiny_clip()
