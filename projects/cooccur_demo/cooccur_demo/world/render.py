"""Pixels for a layout: scene bands, then objects with their exact masks."""
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from .layout import WorldLayout
from .objects import draw_object
from .scenes import paint_scene


@dataclass
class RenderedImage:
    """image (S, S, 3) uint8 RGB; seg (S, S) uint8 (0 background, k + 1 for
    class k); scene (S, S, 3) uint8 RGB, the image without its objects."""
    image: np.ndarray
    seg: np.ndarray
    scene: np.ndarray


def render_scene(layout: WorldLayout, image_size: int) -> np.ndarray:
    """(S, S, 3) uint8 RGB: each band filled with its scene's texture."""
    rng = np.random.default_rng(layout.texture_seed)
    out = np.zeros((image_size, image_size, 3), np.uint8)
    for (x0, y0, x1, y1), scene in layout.regions:
        texture = paint_scene(scene, rng, image_size)
        c0, r0 = int(round(x0 * image_size)), int(round(y0 * image_size))
        c1, r1 = int(round(x1 * image_size)), int(round(y1 * image_size))
        out[r0:r1, c0:c1] = texture[r0:r1, c0:c1]
    return out


def render_layout(
    layout: WorldLayout,
    image_size: int,
    *,
    background: Optional[Union[np.ndarray, Sequence[int]]] = None
) -> RenderedImage:
    """Render a layout at ``image_size``.

    Args:
        background: replaces the scenes: an RGB colour or an (S, S, 3) uint8
            image (tests use it to check that masks are exact).
    """
    if image_size < 8:
        raise ValueError(f'image_size must be >= 8, got {image_size}')
    if background is None:
        scene = render_scene(layout, image_size)
    else:
        scene = np.empty((image_size, image_size, 3), np.uint8)
        scene[...] = np.asarray(background, np.uint8)
    image = scene.copy()
    seg = np.zeros((image_size, image_size), np.uint8)
    for obj in layout.objects:
        mask = draw_object(
            image,
            obj.class_index,
            center=(obj.center[0] * image_size - 0.5,
                    obj.center[1] * image_size - 0.5),
            diameter=obj.diameter * image_size,
            angle=obj.angle,
            mirror=obj.mirror,
            tint=obj.tint)
        seg[mask] = obj.class_index + 1
    return RenderedImage(image=image, seg=seg, scene=scene)
