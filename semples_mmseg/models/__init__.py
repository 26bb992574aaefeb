"""Models: CAM networks, the frozen CLIP guide, prompts, losses, segmentors,
and the second-stage networks (decode heads, backbones, IRNet)."""
from . import (backbones, cam_nets, clip, decode_heads, irn,  # noqa: F401
               losses, segmentors, utils)
