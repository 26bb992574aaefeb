import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from semples_mmseg.engine.hooks import CAMVisualizationHook
from semples_mmseg.engine.hooks.cam_visualization_hook import (
    cam_panel, overlay_label_map)


def test_overlay_blends_palette_and_skips_ignore():
    image = np.full((1, 3, 3), 100, np.uint8)
    label = np.array([[0, 1, 255]])
    out = overlay_label_map(image, label, [(0, 0, 0), (200, 0, 0)], alpha=0.5)
    assert out[0, 0].tolist() == [50, 50, 50]
    assert out[0, 1].tolist() == [150, 50, 50]
    assert out[0, 2].tolist() == [100, 100, 100]


def test_panel_has_one_tile_per_present_class():
    image = np.zeros((4, 5, 3), np.uint8)
    cams = torch.rand(3, 4, 5)
    labels = np.array([1., 0., 1.])
    gt = np.zeros((4, 5), np.int64)
    panel = cam_panel(image, cams, labels, gt, [(0, 0, 0)] * 4)
    assert panel.shape == (4, 5 * 4, 3)  # image, GT, two classes
    panel = cam_panel(image, cams, labels)
    assert panel.shape == (4, 5 * 3, 3)


def test_render_reads_image_and_checks_fields(tmp_path):
    import cv2
    path = str(tmp_path / 'a.jpg')
    cv2.imwrite(path, np.zeros((6, 7, 3), np.uint8))
    sample = SegDataSample(metainfo=dict(img_path=path, img_labels=np.ones(2)))
    hook = CAMVisualizationHook(num_images=1)
    with pytest.raises(KeyError, match='pred_cams'):
        hook.render(sample, None)
    sample.pred_cams = PixelData(data=torch.rand(2, 6, 7))
    assert hook.render(sample, None).shape == (6, 7 * 3, 3)
    sample.pred_cams = PixelData(data=torch.rand(2, 3, 3))
    with pytest.raises(ValueError, match='a.jpg'):
        hook.render(sample, None)
