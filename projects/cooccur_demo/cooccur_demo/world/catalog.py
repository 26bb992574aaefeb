"""What lives in the co-occurrence world: K objects, their home scenes, names.

Each object class has a *home* scene it appears on most of the time (a boat on
water, a bird in the sky, ...), the very bias SemPLeS is meant to undo: a CAM
network (and a CLIP trained on such images) can take the scene as evidence for
the object. Two neutral scenes are home to no class.
"""
from typing import Dict, List, Tuple

#: object classes, 0-based index k; the segmentation label of class k is k + 1
OBJECT_NAMES: Tuple[str, ...] = ('boat', 'bird', 'sheep', 'crab', 'penguin',
                                 'clock')
#: background scenes, 0-based index s
SCENE_NAMES: Tuple[str, ...] = ('water', 'sky', 'grass', 'sand', 'snow',
                                'brick wall', 'wooden floor', 'road')
#: home scene of each object class (index into SCENE_NAMES)
HOME_SCENE: Tuple[int, ...] = (0, 1, 2, 3, 4, 5)
#: RGB palette for the label maps: background, then one colour per class
PALETTE: List[List[int]] = [[0, 0, 0], [128, 64, 0], [64, 64, 160],
                            [220, 220, 200], [230, 80, 30], [20, 20, 30],
                            [240, 200, 60]]


def home_scene_names() -> Dict[str, str]:
    """Object name -> the name of the scene it mostly appears on."""
    return {
        OBJECT_NAMES[k]: SCENE_NAMES[s]
        for k, s in enumerate(HOME_SCENE)
    }


def world_metainfo() -> dict:
    """Dataset metainfo in this project's convention.

    ``classes`` includes background (mmseg), ``prompt_classes`` are the K names
    for CLIP's class texts; ``scene_classes`` and ``home_scenes`` describe the
    backgrounds. Pass it as ``metainfo=`` to ``VOCWeakDataset``.
    """
    return dict(
        classes=('background', ) + OBJECT_NAMES,
        palette=[list(c) for c in PALETTE],
        prompt_classes=OBJECT_NAMES,
        scene_classes=SCENE_NAMES,
        home_scenes=tuple(SCENE_NAMES[s] for s in HOME_SCENE))
