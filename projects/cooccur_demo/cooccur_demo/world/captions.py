"""Caption templates of the world, as alt-texts would name things.

The frozen CLIP guide's class text is ``'a photo of {}.'``; object captions
use it and the article form, scene captions name the scene, mixed captions
name both. An in-context image captioned with its object only is what gives
CLIP its co-occurrence bias (the scene pixels get tied to the object word).
"""
from typing import Sequence, Tuple

from .catalog import OBJECT_NAMES, SCENE_NAMES

OBJECT_TEMPLATES = ('a photo of {}.', 'a photo of a {}.')
SCENE_TEMPLATE = 'a photo of {}.'
MIXED_TEMPLATE = 'a photo of a {} on {}.'


def object_caption(class_index: int, template: int = 0) -> str:
    return OBJECT_TEMPLATES[template].format(OBJECT_NAMES[class_index])


def scene_caption(scene_index: int) -> str:
    return SCENE_TEMPLATE.format(SCENE_NAMES[scene_index])


def mixed_caption(class_index: int, scene_index: int) -> str:
    return MIXED_TEMPLATE.format(OBJECT_NAMES[class_index],
                                 SCENE_NAMES[scene_index])


def objects_caption(class_indices: Sequence[int]) -> str:
    """'a photo of a boat and a crab.' for several objects (sorted)."""
    if not class_indices:
        raise ValueError('objects_caption needs at least one class')
    names = [OBJECT_NAMES[c] for c in sorted(class_indices)]
    return 'a photo of a ' + ' and a '.join(names) + '.'


def scene_objects_caption(objects: Sequence[Tuple[int, int]]) -> str:
    """A full-image caption naming every object and the scene it sits on.

    ``objects`` are (class index, scene index) pairs, e.g. ((0, 0), (3, 3))
    -> 'a photo of a boat on water and a crab on sand.' (sorted by class).
    """
    if not objects:
        raise ValueError('scene_objects_caption needs at least one object')
    parts = [f'a {OBJECT_NAMES[c]} on {SCENE_NAMES[s]}'
             for c, s in sorted(objects)]
    return 'a photo of ' + ' and '.join(parts) + '.'
