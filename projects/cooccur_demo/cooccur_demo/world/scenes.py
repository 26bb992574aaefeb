"""Procedural scene textures: one painter per scene of ``catalog.SCENE_NAMES``.

Every painter maps ``(rng, size)`` to a (size, size, 3) uint8 RGB image; all
randomness comes from ``rng`` so a texture is fixed by its seed. Lengths are
given for a 96-pixel image and scaled with ``size``.
"""
from typing import Callable, List

import cv2
import numpy as np

Painter = Callable[[np.random.Generator, int], np.ndarray]


def smooth_noise(rng: np.random.Generator, size: int, cells: int,
                 stretch: float = 1.0) -> np.ndarray:
    """(size, size) float32 noise in about [-1, 1], smooth over size/cells px;
    ``stretch`` > 1 makes it vary slower along y than along x."""
    rows = max(2, int(round(cells / stretch)))
    grid = rng.standard_normal((rows, cells)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)


def _grid(size: int):
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return y, x, size / 96.


def _finish(img: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _jitter(rng: np.random.Generator, rgb, amount: float = 12.) -> np.ndarray:
    return np.asarray(rgb, np.float32) + rng.uniform(-amount, amount, 3)


def paint_water(rng: np.random.Generator, size: int) -> np.ndarray:
    """Blue water with rows of wobbling waves and light crests."""
    y, x, s = _grid(size)
    period = rng.uniform(7, 11) * s
    wobble = np.sin(2 * np.pi * x / (rng.uniform(18, 30) * s) +
                    rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * (y / period + 0.35 * wobble)
    wave = np.sin(phase)[..., None]
    base = _jitter(rng, (35, 95, 170))
    img = base + 30 * wave * np.array([0.4, 0.7, 1.0], np.float32)
    crest = (wave > 0.85).astype(np.float32)
    img = img * (1 - 0.6 * crest) + 0.6 * crest * np.array([190, 220, 245])
    return _finish(img + 6 * smooth_noise(rng, size, 6)[..., None])


def paint_sky(rng: np.random.Generator, size: int) -> np.ndarray:
    """A vertical blue-to-pale gradient with soft white clouds."""
    y, _, _ = _grid(size)
    t = (y / max(size - 1, 1))[..., None]
    top = _jitter(rng, (70, 135, 225))
    bottom = _jitter(rng, (185, 215, 245))
    img = top * (1 - t) + bottom * t
    cloud = np.clip(smooth_noise(rng, size, 4) - 0.5, 0, 1)[..., None]
    cloud = np.clip(1.6 * cloud, 0, 1)
    return _finish(img * (1 - cloud) + 250 * cloud)


def paint_grass(rng: np.random.Generator, size: int) -> np.ndarray:
    """Green grass: thin vertical blades over darker patches."""
    blades = smooth_noise(rng, size, max(8, size // 2), stretch=10.)
    patches = smooth_noise(rng, size, 5)
    base = _jitter(rng, (70, 145, 55))
    img = base + (28 * blades + 14 * patches)[..., None] * np.array(
        [0.6, 1.0, 0.4], np.float32)
    return _finish(img)


def paint_sand(rng: np.random.Generator, size: int) -> np.ndarray:
    """Beige sand: fine grain and faint diagonal ripples."""
    y, x, s = _grid(size)
    angle = rng.uniform(-0.6, 0.6)
    ripple = np.sin(2 * np.pi * (np.cos(angle) * y + np.sin(angle) * x) /
                    (rng.uniform(9, 14) * s) + rng.uniform(0, 2 * np.pi))
    grain = rng.standard_normal((size, size)).astype(np.float32)
    base = _jitter(rng, (222, 196, 140))
    img = base + (10 * ripple + 9 * grain)[..., None]
    return _finish(img)


def paint_snow(rng: np.random.Generator, size: int) -> np.ndarray:
    """Near-white snow with bluish drifts and sparse sparkles."""
    drift = smooth_noise(rng, size, 4)[..., None]
    base = _jitter(rng, (238, 242, 250), 6)
    img = base - 12 * np.clip(drift, 0, None) * np.array([1.0, 0.8, 0.3])
    sparkle = (rng.random((size, size)) < 0.02)[..., None]
    img = np.where(sparkle, 170 + 0 * img, img)
    img[..., 2] = np.where(sparkle[..., 0], 215, img[..., 2])
    return _finish(img)


def paint_brick_wall(rng: np.random.Generator, size: int) -> np.ndarray:
    """Red bricks in offset rows with grey mortar."""
    y, x, s = _grid(size)
    bh = rng.uniform(9, 12) * s
    bw = rng.uniform(20, 26) * s
    row = np.floor((y + rng.uniform(0, bh)) / bh)
    xs = x + rng.uniform(0, bw) + (row % 2) * bw / 2
    col = np.floor(xs / bw)
    mortar = ((((y + 0) % bh) < 1.6 * max(s, 0.7)) |
              ((xs % bw) < 1.6 * max(s, 0.7)))
    brick_id = (row * 31 + col * 17).astype(np.int64) % 97
    shade = rng.uniform(-18, 18, 97).astype(np.float32)[brick_id]
    base = _jitter(rng, (165, 70, 48))
    img = base + shade[..., None] * np.array([1.0, 0.5, 0.4], np.float32)
    img = np.where(mortar[..., None], _jitter(rng, (185, 182, 175), 6), img)
    return _finish(img + 5 * rng.standard_normal((size, size, 1)))


def paint_wooden_floor(rng: np.random.Generator, size: int) -> np.ndarray:
    """Brown planks with wavy grain lines and dark seams."""
    y, x, s = _grid(size)
    pw = rng.uniform(14, 20) * s
    plank = np.floor((x + rng.uniform(0, pw)) / pw)
    seam = ((x + 0) % pw) < 1.2 * max(s, 0.7)
    grain = np.sin(2 * np.pi * (x / (3.0 * s) + 0.8 * np.sin(
        y / (13 * s) + plank)) + plank)
    shade = rng.uniform(-15, 15, 64).astype(np.float32)[
        plank.astype(np.int64) % 64]
    base = _jitter(rng, (150, 100, 58))
    img = base + (10 * grain + shade)[..., None]
    img = np.where(seam[..., None], base * 0.5, img)
    return _finish(img)


def paint_road(rng: np.random.Generator, size: int) -> np.ndarray:
    """Dark grey asphalt with speckles and a dashed yellow line."""
    y, x, s = _grid(size)
    speck = rng.standard_normal((size, size)).astype(np.float32)
    base = _jitter(rng, (72, 72, 78), 8)
    img = base + 14 * speck[..., None]
    centre = rng.uniform(0.3, 0.7) * size
    dash = rng.uniform(14, 20) * s
    on = (np.abs(y - centre) < 1.5 * max(s, 0.7)) & (
        (x + rng.uniform(0, dash)) % dash < dash * 0.6)
    img = np.where(on[..., None], np.array([225, 195, 50], np.float32), img)
    return _finish(img)


#: one painter per scene, in the order of ``catalog.SCENE_NAMES``
SCENE_PAINTERS: List[Painter] = [
    paint_water, paint_sky, paint_grass, paint_sand, paint_snow,
    paint_brick_wall, paint_wooden_floor, paint_road
]


def paint_scene(scene_index: int, rng: np.random.Generator,
                size: int) -> np.ndarray:
    """(size, size, 3) uint8 RGB texture of scene ``scene_index``."""
    if not 0 <= scene_index < len(SCENE_PAINTERS):
        raise ValueError(f'scene_index {scene_index} out of range '
                         f'[0, {len(SCENE_PAINTERS)})')
    return SCENE_PAINTERS[scene_index](rng, size)
