"""Models: CAM networks, the frozen CLIP guide, prompts, losses, segmentors."""
from . import cam_nets, clip, losses, segmentors, utils  # noqa: F401
from . import irn  # noqa: F401,E402
