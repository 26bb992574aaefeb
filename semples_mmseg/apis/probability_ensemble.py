"""Two segmentation models' class probabilities fused into one label map.

A probability file ``{id}.npz`` holds ``prob`` (C, H, W) and ``classes``
(C,) int, the label value of each channel (0 = background). A model may
store only the classes its prediction contains (``SaveProbabilitiesHook``
does, as FMA-WSSS's test hook does), so a file need not have background.

:func:`ensemble_labels` is FMA-WSSS's test-time ensemble (weight 0.85 on
the first model): for every class c either model has,
fused[c] = weight * P1[c] (if the first has c) + (1 - weight) * P2[c] (if
the second has c), and each pixel takes the class of the largest fused
value. Background is a class like any other: a model without it adds
nothing to it.
"""
import os.path as osp
from typing import Tuple

import numpy as np

from ..utils.atomic_files import atomic_path


def save_probabilities(prob: np.ndarray, classes: np.ndarray,
                       path: str) -> None:
    """Write (C, H, W) ``prob`` (as float16) and (C,) ``classes``,
    atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.savez(f, prob=np.asarray(prob, np.float16),
                     classes=np.asarray(classes, np.int64))


def load_probabilities(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """(C, H, W) float32 probabilities and (C,) int64 label values; a file
    without ``classes`` holds every class, 0..C-1."""
    with np.load(path) as data:
        if 'prob' not in data.files:
            raise ValueError(f'{path}: no "prob" array (keys {data.files})')
        prob = data['prob'].astype(np.float32)
        classes = data['classes'].astype(np.int64) if 'classes' in \
            data.files else np.arange(len(prob))
    if prob.ndim != 3 or classes.shape != (len(prob), ) \
            or len(set(classes.tolist())) != len(classes):
        raise ValueError(f'{path}: prob {prob.shape} with classes '
                         f'{classes.tolist()}: one distinct class per channel '
                         'expected')
    return prob, classes


def ensemble_labels(first: Tuple[np.ndarray, np.ndarray],
                    second: Tuple[np.ndarray, np.ndarray],
                    *,
                    weight: float = 0.85) -> np.ndarray:
    """Fuse two (prob, classes) pairs of one image into an (H, W) map.

    Args:
        first, second: (C_i, H, W) probabilities and their (C_i,) label
            values.
        weight: the first model's share (the second gets 1 - weight).

    Returns:
        (H, W) int64 label values (ties: the smaller value).
    """
    if first[0].shape[1:] != second[0].shape[1:]:
        raise ValueError(f'probabilities of sizes {first[0].shape[1:]} and '
                         f'{second[0].shape[1:]}')
    classes = np.union1d(first[1], second[1])
    fused = np.zeros((len(classes), ) + first[0].shape[1:], np.float32)
    for (prob, own), share in ((first, weight), (second, 1.0 - weight)):
        fused[np.searchsorted(classes, own)] += share * prob
    return classes[fused.argmax(0)]


def probability_path(prob_dir: str, img_path: str) -> str:
    return osp.join(prob_dir,
                    osp.splitext(osp.basename(img_path))[0] + '.npz')
