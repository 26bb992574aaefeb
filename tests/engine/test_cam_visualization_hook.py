import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from semples_mmseg.engine.hooks import CAMVisualizationHook
from semples_mmseg.visualization import build_cam_figure, palette_image
from semples_mmseg.visualization.cam_figure import pyplot


def test_palette_image_colours_labels_and_whitens_ignore():
    out = palette_image(np.array([[0, 1, 255]]), [(0, 0, 0), (200, 0, 0)])
    assert out.tolist() == [[[0, 0, 0], [200, 0, 0], [255, 255, 255]]]


def test_figure_labels_columns_and_shares_one_scale_per_row():
    image = np.zeros((8, 8, 3), np.uint8)
    maps = np.stack([np.full((8, 8), v, np.float32) for v in (.2, .9, .5)])
    fig = build_cam_figure(
        image, np.zeros((8, 8), np.int64), [(0, 0, 0)] * 4,
        ['boat', 'bird', 'crab'], [0, 2],
        [('stage 1', maps, 0., 1., 'jet'), ('prompt', maps, None, None,
                                            'viridis')])
    grid = [ax for ax in fig.axes if ax.get_label() != '<colorbar>']
    titles = [ax.get_title() for ax in grid[:4]]
    assert titles == ['image', 'GT', 'boat', 'crab']
    assert [ax.get_ylabel() for ax in grid[::4]] == ['stage 1', 'prompt']
    # row 1: the fixed 0-1 scale; row 2: min / max of its present classes
    assert grid[2].images[1].get_clim() == grid[3].images[1].get_clim() \
        == (0., 1.)
    assert grid[6].images[1].get_clim() == pytest.approx((.2, .5))
    assert len(fig.axes) == 8 + 2  # one colour bar per row
    pyplot().close(fig)


def test_render_reads_image_and_checks_fields(tmp_path):
    import cv2
    path = str(tmp_path / 'a.jpg')
    cv2.imwrite(path, np.zeros((6, 7, 3), np.uint8))
    sample = SegDataSample(metainfo=dict(img_path=path, img_labels=np.ones(2)))
    hook = CAMVisualizationHook(num_images=1)
    with pytest.raises(KeyError, match='pred_cams'):
        hook.render(sample, None)
    sample.pred_cams = PixelData(data=torch.rand(2, 6, 7))
    panel = hook.render(sample, dict(prompt_classes=('boat', 'bird')))
    assert panel.dtype == np.uint8 and panel.ndim == 3
    assert panel.shape[0] >= 200 and panel.shape[1] >= 500  # reads on screen
    sample.pred_cams = PixelData(data=torch.rand(2, 3, 3))
    with pytest.raises(ValueError, match='a.jpg'):
        hook.render(sample, None)
