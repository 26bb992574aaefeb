"""The picture of one CAM prediction (``demo/image_demo.py``)."""
from typing import Optional, Sequence

import numpy as np

from .cam_figure import build_cam_figure, render_figure


def prediction_figure(image: np.ndarray,
                      sample,
                      classes: Sequence[str],
                      palette: Sequence[Sequence[int]],
                      *,
                      bg_threshold: Optional[float] = None,
                      title: Optional[str] = None,
                      path: Optional[str] = None) -> np.ndarray:
    """Draw :func:`build_prediction_figure`; returns the picture as
    (h, w, 3) RGB uint8 and writes ``path`` when given."""
    return render_figure(
        build_prediction_figure(image, sample, classes, palette,
                                bg_threshold=bg_threshold, title=title),
        path)


def build_prediction_figure(image: np.ndarray,
                            sample,
                            classes: Sequence[str],
                            palette: Sequence[Sequence[int]],
                            *,
                            bg_threshold: Optional[float] = None,
                            title: Optional[str] = None):
    """Image | seed label map | one CAM per class the CAMs were computed for
    (the matplotlib figure; the caller closes it).

    The labelled grid of ``cam_figure`` with one row: the seed label map
    (the argmax of ``seg_logits``: background where every CAM <= the
    threshold) in the palette, each class's multi-scale + flip CAM (0 to 1,
    one colour bar) under its name and, for predicted labels, its score.

    Args:
        image: (H, W, 3) RGB uint8, the original image.
        sample: a ``SemPLeSSegmentor`` prediction (``pred_cams`` (K, H, W),
            ``pred_sem_seg``, metainfo ``img_labels``, ``label_source``,
            ``label_names``, ``label_scores`` for predicted labels).
        classes: ('background', name_1, ..., name_K).
        palette: K + 1 RGB colours.
        bg_threshold: shown in the seed column's title.
        title: the figure title (default: the label source and classes).
    """
    cams = sample.pred_cams.data.float().cpu().numpy()
    seed = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
    k = cams.shape[0]
    if cams.shape[1:] != image.shape[:2]:
        raise ValueError(f'CAMs of shape {cams.shape} do not fit the image '
                         f'{image.shape}')
    if len(classes) != k + 1 or len(palette) < k + 1:
        raise ValueError(f'{len(classes)} class names / {len(palette)} '
                         f'colours for {k} CAMs: expected K + 1 (background '
                         'first)')
    meta = sample.metainfo
    present = np.flatnonzero(np.asarray(meta['img_labels']) > 0.5).tolist()
    names = list(classes[1:])
    scores = meta.get('label_scores')
    if scores is not None:
        names = [f'{n} ({float(s):.2f})' for n, s in zip(names, scores)]
    if title is None:
        title = (f"labels ({meta.get('label_source', '?')}): "
                 f"{', '.join(meta.get('label_names', [])) or 'none'}")
    seed_title = 'seed labels' if bg_threshold is None else \
        f'seed labels (t = {bg_threshold:g})'
    return build_cam_figure(
        image, seed, palette, names, present,
        [('CAM', cams, 0., 1., 'jet')],
        title=title, label_title=seed_title)
