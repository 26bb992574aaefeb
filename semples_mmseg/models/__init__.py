"""Models: CAM networks, the frozen CLIP guide, prompts, losses, segmentors."""
from . import (backbones, cam_nets, clip, decode_heads, losses,  # noqa: F401
               segmentors, utils)
