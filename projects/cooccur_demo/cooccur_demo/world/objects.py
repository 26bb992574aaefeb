"""Object shapes: each class is a few coloured polygons in a unit disc.

A shape is a list of parts ``(points (N, 2), rgb)`` in object coordinates:
x right, y down, centred at 0, inside the disc of diameter 1, painted in
order. ``draw_object`` places it (centre, diameter, rotation, mirror) with
hard edges, so the object's mask is exactly the pixels it painted.
"""
from typing import List, Sequence, Tuple

import cv2
import numpy as np

Part = Tuple[np.ndarray, Tuple[int, int, int]]
_SHIFT = 4  # sub-pixel bits for cv2.fillPoly


def ellipse(cx: float, cy: float, rx: float, ry: float,
            n: int = 24) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def bar(x0: float, y0: float, x1: float, y1: float,
        width: float) -> np.ndarray:
    """A thick segment from (x0, y0) to (x1, y1)."""
    d = np.array([x1 - x0, y1 - y0], float)
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9) * width / 2
    a, b = np.array([x0, y0]), np.array([x1, y1])
    return np.stack([a + n, b + n, b - n, a - n])


def boat() -> List[Part]:
    return [(np.array([[-.46, .12], [.46, .12], [.3, .32], [-.3, .32]]),
             (125, 62, 25)),
            (box(-.03, -.44, .03, .13), (60, 40, 25)),
            (np.array([[.05, -.42], [.05, .06], [.36, .06]]), (245, 245, 232)),
            (np.array([[-.05, -.3], [-.05, .06], [-.3, .06]]), (215, 40, 40))]


def bird() -> List[Part]:
    wings = np.array([[-.48, -.2], [-.1, .02], [0, .0], [.1, .02], [.48, -.2],
                      [.46, .0], [.06, .22], [-.06, .22], [-.46, .0]])
    return [(wings, (45, 45, 60)),
            (ellipse(0, .1, .09, .11), (30, 30, 40)),
            (np.array([[-.04, .19], [.04, .19], [0, .3]]), (250, 160, 30))]


def sheep() -> List[Part]:
    legs = [(box(x, .12, x + .07, .36), (25, 25, 25))
            for x in (-.3, -.14, .06, .22)]
    wool = [(ellipse(cx, cy, .16, .14), (238, 238, 226))
            for cx, cy in ((-.22, -.05), (-.06, -.12), (.1, -.1), (-.16, .08),
                           (.02, .06), (.16, .04))]
    return legs + wool + [(ellipse(.34, -.12, .12, .1), (30, 30, 30)),
                          (ellipse(.37, -.15, .025, .025), (240, 240, 240))]


def crab() -> List[Part]:
    red = (222, 70, 30)
    legs = [(bar(sx * .15, .02 + dy, sx * .46, .18 + dy, .06), red)
            for sx in (-1, 1) for dy in (-.06, .04, .14)]
    claws = [(bar(sx * .16, -.06, sx * .3, -.3, .08), red)
             for sx in (-1, 1)]
    pincers = [(ellipse(sx * .32, -.34, .1, .08), (240, 95, 45))
               for sx in (-1, 1)]
    eyes = [(ellipse(sx * .07, -.16, .035, .035), (10, 10, 10))
            for sx in (-1, 1)]
    return legs + claws + pincers + [(ellipse(0, .04, .27, .18), red)] + eyes


def penguin() -> List[Part]:
    return [(ellipse(-.12, .43, .1, .04), (245, 150, 20)),
            (ellipse(.12, .43, .1, .04), (245, 150, 20)),
            (ellipse(0, .05, .24, .38), (22, 22, 32)),
            (ellipse(0, .12, .15, .27), (245, 245, 245)),
            (ellipse(.07, -.2, .03, .03), (250, 250, 250)),
            (np.array([[.12, -.2], [.12, -.14], [.26, -.17]]),
             (245, 150, 20))]


def clock() -> List[Part]:
    return [(ellipse(0, 0, .48, .48, 32), (35, 35, 35)),
            (ellipse(0, 0, .4, .4, 32), (250, 222, 95)),
            (bar(0, 0, 0, -.32, .06), (20, 20, 20)),
            (bar(0, 0, .22, .08, .07), (20, 20, 20)),
            (ellipse(0, 0, .05, .05), (170, 30, 30))]


#: one shape per class, in the order of ``catalog.OBJECT_NAMES``
OBJECT_SHAPES = [boat, bird, sheep, crab, penguin, clock]


def draw_object(canvas: np.ndarray, class_index: int,
                center: Sequence[float], diameter: float, angle: float,
                mirror: bool, tint: Sequence[float]) -> np.ndarray:
    """Paint one object onto ``canvas`` (H, W, 3) uint8 RGB in place.

    Args:
        class_index: 0-based object class.
        center: (x, y) in pixels.
        diameter: size of the object's unit disc in pixels.
        angle: rotation in degrees (counter-clockwise on screen).
        mirror: flip the shape left-right before rotating.
        tint: (3,) colour offset added to every part.

    Returns:
        (H, W) bool mask: exactly the pixels painted.
    """
    if not 0 <= class_index < len(OBJECT_SHAPES):
        raise ValueError(f'class_index {class_index} out of range '
                         f'[0, {len(OBJECT_SHAPES)})')
    theta = np.deg2rad(angle)
    rot = np.array([[np.cos(theta), np.sin(theta)],
                    [-np.sin(theta), np.cos(theta)]])
    flip = np.array([-1. if mirror else 1., 1.])
    mask = np.zeros(canvas.shape[:2], np.uint8)
    for points, rgb in OBJECT_SHAPES[class_index]():
        pts = (points * flip) @ rot.T * diameter + np.asarray(center)
        pts = np.rint(pts * (1 << _SHIFT)).astype(np.int32)
        colour = np.clip(np.asarray(rgb, float) + np.asarray(tint), 0, 255)
        cv2.fillPoly(canvas, [pts], tuple(int(c) for c in colour),
                     lineType=cv2.LINE_8, shift=_SHIFT)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask.astype(bool)
