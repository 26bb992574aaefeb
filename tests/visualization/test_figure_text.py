"""Every figure the project writes is legible at its default size: no text
drawn over other text, none cut at the figure's edge (text bounding boxes
from matplotlib's renderer)."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from semples_mmseg.engine.hooks import CAMVisualizationHook
from semples_mmseg.engine.hooks import cam_visualization_hook as hook_module
from semples_mmseg.visualization import (build_cam_figure,
                                         build_prediction_figure)
from semples_mmseg.visualization.cam_figure import pyplot
from fixtures import assert_legible

CLASSES = ('background', 'boat', 'bird', 'sheep', 'crab', 'penguin', 'clock')
PALETTE = [(i * 30, 255 - i * 30, i * 10) for i in range(len(CLASSES))]


def test_the_check_sees_a_title_drawn_over_a_column_title():
    fig, ax = pyplot().subplots(figsize=(3, 2))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title('seed labels (t = 0.3)')
    ax.text(0.5, 1.0, 'labels (predicted): crab', transform=ax.transAxes,
            ha='center', va='bottom')
    with pytest.raises(AssertionError, match='drawn over'):
        assert_legible(fig)


def prediction(present, scores=True, size=(96, 96)) -> SegDataSample:
    k = len(CLASSES) - 1
    labels = np.zeros(k)
    labels[list(present)] = 1
    sample = SegDataSample()
    sample.pred_cams = PixelData(data=torch.rand(k, *size))
    sample.pred_sem_seg = PixelData(data=torch.randint(0, k + 1,
                                                       (1, *size)))
    meta = dict(img_labels=labels, label_source='predicted',
                label_names=[CLASSES[i + 1] for i in present])
    if scores:
        meta['label_scores'] = np.linspace(0.1, 0.9, k)
    sample.set_metainfo(meta)
    return sample


@pytest.mark.parametrize('present, size', [
    ([3], (96, 96)),  # the demo's one-object picture
    ([0, 2, 3, 5], (96, 96)),
    ([0, 1, 2, 3, 4, 5], (375, 500)),  # every class, a VOC-sized image
    ([1], (500, 200)),  # a tall image
])
def test_the_image_demo_picture(present, size):
    image = np.zeros((*size, 3), np.uint8)
    assert_legible(build_prediction_figure(
        image, prediction(present, size=size), CLASSES, PALETTE,
        bg_threshold=0.3))


def test_the_image_demo_picture_with_a_long_title():
    image = np.zeros((96, 96, 3), np.uint8)
    assert_legible(build_prediction_figure(
        image, prediction([3]), CLASSES, PALETTE, bg_threshold=0.3,
        title='a long title a user may pass with --title, longer than the '
        'three columns of a one-class picture are wide'))


def test_the_demo_pictures():
    """The co-occurrence demo's four-row pictures (tools/run_demo.py)."""
    image = np.zeros((96, 96, 3), np.uint8)
    gt = np.random.default_rng(0).integers(0, 7, (96, 96))
    maps = np.random.default_rng(1).random((6, 96, 96)).astype(np.float32)
    rows = [(f'{name}\nCAM', maps, 0., 1., 'jet')
            for name in ('WeakTr baseline', 'SemPLeS stage 1',
                         'SemPLeS stage 3')]
    rows.append(('learned prompt\nsimilarity', maps, None, None, 'viridis'))
    for present in ([3], [0, 3]):
        assert_legible(build_cam_figure(
            image, gt, PALETTE, CLASSES[1:], present, rows,
            title="2008_000123: CAMs (one 0-1 scale) and the cosine "
            "similarity of each class's learned background prompt to "
            '32-px crops (stride 4)'))


def test_the_training_hooks_cam_figures(tmp_path, monkeypatch):
    import cv2
    path = str(tmp_path / '2007_000032.jpg')
    cv2.imwrite(path, np.zeros((64, 80, 3), np.uint8))
    figures = []

    def keep(*args, **kwargs):
        figures.append(build_cam_figure(*args, **kwargs))
        return np.zeros((1, 1, 3), np.uint8)

    monkeypatch.setattr(hook_module, 'cam_figure', keep)
    for present in ([4], [0, 1, 4]):
        sample = SegDataSample(metainfo=dict(
            img_path=path, img_labels=np.isin(np.arange(6), present)))
        sample.pred_cams = PixelData(data=torch.rand(6, 64, 80))
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 80,
                                                       dtype=torch.long))
        CAMVisualizationHook(num_images=1).render(
            sample, dict(prompt_classes=CLASSES[1:], palette=PALETTE),
            title='epoch 12')
    assert len(figures) == 2
    for fig in figures:
        assert_legible(fig)
