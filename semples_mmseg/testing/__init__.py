"""Small on-disk fixtures for tests and examples."""
from .coco_layout import make_coco_fixture
from .kill_switch import KillSwitchHook, SimulatedKill
from .voc_layout import make_voc_aug_fixture, make_voc_fixture, write_voc_xml

__all__ = [
    'KillSwitchHook', 'SimulatedKill', 'make_coco_fixture',
    'make_voc_aug_fixture', 'make_voc_fixture', 'write_voc_xml'
]
