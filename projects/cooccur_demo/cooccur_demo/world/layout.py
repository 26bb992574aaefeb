"""Random image layouts: which objects, on which scenes, where. No pixels.

An image is split into one band per object (horizontal or vertical); each
band shows one scene and holds one object of a distinct class. The band's
scene is the object's home scene with probability ``cooccur_prob``, else a
uniformly drawn other scene. So for every class, P(home scene | class
present) = ``cooccur_prob`` exactly, and labels can be drawn without
rendering. Coordinates are fractions of the image side, so one layout
renders at any size.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from .catalog import HOME_SCENE, OBJECT_NAMES, SCENE_NAMES

Box = Tuple[float, float, float, float]  # x0, y0, x1, y1 in [0, 1]


@dataclass(frozen=True)
class PlacedObject:
    """One object: class, its band, and its pose (fractions of the side)."""
    class_index: int
    region_index: int
    center: Tuple[float, float]
    diameter: float
    angle: float
    mirror: bool
    tint: Tuple[float, float, float]


@dataclass(frozen=True)
class WorldLayout:
    """Scene bands and the objects on them; ``texture_seed`` fixes textures."""
    regions: Tuple[Tuple[Box, int], ...]  # (box, scene_index)
    objects: Tuple[PlacedObject, ...]
    texture_seed: int

    def labels(self, num_classes: int = len(OBJECT_NAMES)) -> np.ndarray:
        """(K,) float32 multi-hot image-level labels."""
        out = np.zeros(num_classes, np.float32)
        for obj in self.objects:
            out[obj.class_index] = 1
        return out

    def object_scene(self, obj: PlacedObject) -> int:
        return self.regions[obj.region_index][1]

    def cooccurs(self, obj: PlacedObject) -> bool:
        """True when the object sits on its home scene."""
        return self.object_scene(obj) == HOME_SCENE[obj.class_index]


def split_bands(rng: np.random.Generator, n: int) -> Tuple[Box, ...]:
    """``n`` bands covering [0, 1]^2 along a random axis."""
    if n == 1:
        cuts = [0., 1.]
    else:
        inner = [(i + 1) / n + rng.uniform(-0.1, 0.1) / n for i in range(n - 1)]
        cuts = [0.] + inner + [1.]
    horizontal = bool(rng.integers(2))
    boxes = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        boxes.append((0., a, 1., b) if horizontal else (a, 0., b, 1.))
    return tuple(boxes)


def draw_scene_for(rng: np.random.Generator, class_index: int,
                   cooccur_prob: float) -> int:
    """The home scene of the class with prob ``cooccur_prob``, else another."""
    home = HOME_SCENE[class_index]
    if rng.random() < cooccur_prob:
        return home
    others = [s for s in range(len(SCENE_NAMES)) if s != home]
    return int(others[rng.integers(len(others))])


def sample_layout(rng: np.random.Generator,
                  *,
                  cooccur_prob: float = 0.8,
                  object_count_probs: Sequence[float] = (0.5, 0.3, 0.2),
                  classes: Optional[Sequence[int]] = None,
                  scenes: Optional[Sequence[int]] = None,
                  size_range: Tuple[float, float] = (0.45, 0.9),
                  max_angle: float = 40.) -> WorldLayout:
    """Draw one layout.

    Args:
        cooccur_prob: probability that an object's band shows its home scene.
        object_count_probs: probabilities of 1, 2, ... objects per image.
        classes: force these (distinct, 0-based) classes; empty for a bare
            scene.
        scenes: force the scene of each band (same length as the bands).
        size_range: object diameter as a fraction of its band's short side.
        max_angle: rotations are uniform in [-max_angle, max_angle] degrees.
    """
    if not 0 <= cooccur_prob <= 1:
        raise ValueError(f'cooccur_prob must be in [0, 1], got {cooccur_prob}')
    num_classes = len(OBJECT_NAMES)
    if classes is None:
        probs = np.asarray(object_count_probs, float)
        if len(probs) > num_classes or probs.min() < 0 or probs.sum() <= 0:
            raise ValueError('object_count_probs must be <= '
                             f'{num_classes} non-negative weights, got '
                             f'{tuple(object_count_probs)}')
        n = int(rng.choice(len(probs), p=probs / probs.sum())) + 1
        classes = rng.choice(num_classes, n, replace=False).tolist()
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes) or any(
            not 0 <= c < num_classes for c in classes):
        raise ValueError(f'classes must be distinct in [0, {num_classes}), '
                         f'got {classes}')
    boxes = split_bands(rng, max(1, len(classes)))
    if scenes is None:
        if classes:
            scenes = [draw_scene_for(rng, c, cooccur_prob) for c in classes]
        else:
            scenes = [int(rng.integers(len(SCENE_NAMES)))]
    if len(scenes) != len(boxes):
        raise ValueError(f'scenes {tuple(scenes)} must give one scene per '
                         f'band ({len(boxes)})')
    objects = []
    for i, c in enumerate(classes):
        x0, y0, x1, y1 = boxes[i]
        d = rng.uniform(*size_range) * min(x1 - x0, y1 - y0)
        r = d / 2
        center = (rng.uniform(x0 + r, x1 - r), rng.uniform(y0 + r, y1 - r))
        objects.append(
            PlacedObject(
                class_index=c,
                region_index=i,
                center=(float(center[0]), float(center[1])),
                diameter=float(d),
                angle=float(rng.uniform(-max_angle, max_angle)),
                mirror=bool(rng.integers(2)),
                tint=tuple(float(t) for t in rng.uniform(-20, 20, 3))))
    return WorldLayout(
        regions=tuple((b, int(s)) for b, s in zip(boxes, scenes)),
        objects=tuple(objects),
        texture_seed=int(rng.integers(2**31)))
