"""A synthetic world where objects co-occur with class-specific scenes.

A newcomer without VOC, CLIP weights or a GPU can train SemPLeS on it: a CAM
network learns to fire on the co-occurring scene (water for a boat) and a
toy CLIP trained on its captions carries the same bias.
"""
from .catalog import (HOME_SCENE, OBJECT_NAMES, SCENE_NAMES,
                      home_scene_names, world_metainfo)
from .captions import (mixed_caption, object_caption, objects_caption,
                       scene_caption, scene_objects_caption)
from .dataset import CooccurWorldDataset
from .layout import PlacedObject, WorldLayout, sample_layout
from .render import RenderedImage, render_layout, render_scene
from .writer import read_world_meta, sample_world_layouts, write_world

__all__ = [
    'CooccurWorldDataset',    'HOME_SCENE', 'OBJECT_NAMES', 'SCENE_NAMES', 'home_scene_names',
    'world_metainfo', 'mixed_caption', 'object_caption', 'objects_caption',
    'scene_caption', 'scene_objects_caption', 'read_world_meta',
    'PlacedObject', 'WorldLayout', 'sample_layout',
    'RenderedImage', 'render_layout', 'render_scene', 'sample_world_layouts',
    'write_world'
]
