"""One image's CAMs as a labelled grid: rows of maps, one column per class.

Columns: image | GT (classes in the dataset palette on white, outlined) | one column per present class
(its name on top). Rows: e.g. baseline / stage 1 / stage 3 CAMs, the learned
prompt's similarity map. Each row shares one colour scale, shown by a
colour bar: CAM rows use 0-1 so that stages compare by strength, not each
map min-max scaled on its own.
"""
import textwrap
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: (row title, maps (K, H, W), vmin or None, vmax or None, colormap name)
Row = Tuple[str, np.ndarray, Optional[float], Optional[float], str]


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend."""
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    return plt


def palette_image(label_map: np.ndarray, palette) -> np.ndarray:
    """(H, W, 3) uint8: each label in its palette colour, 255 white."""
    colours = np.asarray(palette, np.uint8)
    ignore = label_map == 255
    out = colours[np.where(ignore, 0, label_map)]
    out[ignore] = 255
    return out


def figure_to_array(fig) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a drawn matplotlib figure."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def cam_figure(image: np.ndarray, gt: Optional[np.ndarray], palette,
               class_names: Sequence[str], present: Sequence[int],
               rows: List[Row], title: str = '',
               path: Optional[str] = None,
               label_title: str = 'GT') -> np.ndarray:
    """Draw the grid (``build_cam_figure``); returns it as (H, W, 3) uint8
    and writes ``path`` when given."""
    return render_figure(
        build_cam_figure(image, gt, palette, class_names, present, rows,
                         title, label_title=label_title), path)


def render_figure(fig, path: Optional[str] = None) -> np.ndarray:
    """Draw and close ``fig``: (H, W, 3) uint8 RGB, also written to
    ``path`` when given."""
    array = figure_to_array(fig)
    if path is not None:
        fig.savefig(path, dpi=fig.dpi)
    pyplot().close(fig)
    return array


def build_cam_figure(image: np.ndarray, gt: Optional[np.ndarray], palette,
                     class_names: Sequence[str], present: Sequence[int],
                     rows: List[Row], title: str = '',
                     label_title: str = 'GT'):
    """The matplotlib figure of the grid (the caller closes it).

    Args:
        image: (H, W, 3) RGB uint8.
        gt: (H, W) label map (0 background, k + 1 class k, 255 ignored) or
            None (no GT column).
        palette: RGB per label (needed with ``gt``).
        class_names: K names.
        present: the class indices drawn, one column each.
        rows: ``(title, maps, vmin, vmax, cmap)``; maps (K, H, W); vmin /
            vmax None take the min / max over the row's present classes.
        label_title: the title of the label-map column (e.g. the demo's
            predicted seed labels instead of the GT).
    """
    plt = pyplot()
    present = [int(k) for k in present]
    lead = 2 if gt is not None else 1
    ncols = lead + max(1, len(present))
    # the constrained layout keeps the title, the column titles, the row
    # labels and the colour bars apart (a plain grid draws a one-row
    # figure's title over its column titles)
    fig, axes = plt.subplots(len(rows), ncols,
                             figsize=(2.2 * ncols + 1.0, 2.3 * len(rows)),
                             squeeze=False, layout='constrained')
    # room for the colour bars' end labels at the figure's edges
    fig.get_layout_engine().set(h_pad=0.1, w_pad=0.06)
    for r, (row_title, maps, vmin, vmax, cmap) in enumerate(rows):
        maps = np.asarray(maps, np.float32)
        chosen = maps[present] if present else maps[:0]
        lo = vmin if vmin is not None else (
            float(chosen.min()) if chosen.size else 0.)
        hi = vmax if vmax is not None else (
            float(chosen.max()) if chosen.size else 1.)
        hi = max(hi, lo + 1e-6)
        axes[r, 0].imshow(image)
        axes[r, 0].set_ylabel(row_title, fontsize=10)
        if gt is not None:  # classes in the palette on white, outlined
            shown = palette_image(gt, palette)
            shown[gt == 0] = 255
            axes[r, 1].imshow(shown, interpolation='nearest')
            for value in np.unique(gt):
                if 0 < value < 255:
                    axes[r, 1].contour(gt == value, levels=[0.5],
                                       colors='black', linewidths=0.8)
        handle = None
        for c, k in enumerate(present):
            ax = axes[r, lead + c]
            ax.imshow(image)
            handle = ax.imshow(maps[k], cmap=cmap, vmin=lo, vmax=hi,
                               alpha=0.6, interpolation='bilinear')
        if r == 0:
            axes[r, 0].set_title('image', fontsize=10)
            if gt is not None:
                axes[r, 1].set_title(label_title, fontsize=10)
            for c, k in enumerate(present):
                axes[r, lead + c].set_title(class_names[k], fontsize=10)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
        if not present:
            axes[r, lead].set_axis_off()
        if handle is not None:
            fig.colorbar(handle, ax=list(axes[r]), fraction=0.025,
                         pad=0.01)
    if title:
        fit_title(fig, title, fontsize=10)
    return fig


def fit_title(fig, title: str, fontsize: float = 10):
    """``fig.suptitle(title)``, wrapped into lines no wider than the figure
    (a long title is otherwise cut at the figure's edges)."""
    text = fig.suptitle(title, fontsize=fontsize)
    renderer = fig.canvas.get_renderer()
    room = 0.96 * fig.bbox.width
    chars = len(title)
    while chars > 10 and text.get_window_extent(renderer).width > room:
        widest = max(text.get_window_extent(renderer).width, 1.)
        chars = min(chars - 1, int(chars * room / widest))
        text.set_text(textwrap.fill(title, chars))
    return text
