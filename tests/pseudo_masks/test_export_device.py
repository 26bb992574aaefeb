"""Pseudo masks from CAMs on every device present (and in half precision,
as CAMs are saved): the label maps are the hand-computed ones."""
import numpy as np
import pytest
import torch
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from semples_mmseg.models.segmentors.cam_inference import cams_to_label_map


@pytest.mark.parametrize('dtype', [torch.float32, torch.float16])
def test_label_map_on_the_cams_device(device, dtype):
    cams = torch.tensor([[[[0.9, 0.2, 0.5], [0.1, 0.0, 0.6]],
                          [[0.3, 0.8, 0.4], [0.7, 0.0, 0.2]]]],
                        device=device, dtype=dtype)  # (1, K=2, 2, 3)
    label = cams_to_label_map(cams, bg_threshold=0.45)
    # max > 0.45 -> class k + 1; 0.4 / 0.0 -> background; ties (0.5 vs
    # threshold 0.5 below) are background
    assert label.device == cams.device
    assert label.tolist() == [[[1, 2, 1], [2, 0, 1]]]
    assert cams_to_label_map(cams, 0.5).tolist() == [[[1, 2, 0], [2, 0, 1]]]


def test_predicted_cams_threshold_to_the_predicted_label_map(device):
    """The segmentor's prediction on ``device`` and its pseudo mask agree
    with the seed label map it predicts at the same threshold."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SemPLeSSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        cam_net=dict(type='WeakTrCAMNet', num_classes=3, img_size=32,
                     embed_dims=48, depth=2, num_heads=6, aaf_reduction=4),
        cam_losses=[dict(type='WeakTrClassificationLoss')],
        test_cfg=dict(scales=(1.0, 1.5), flip=True, bg_threshold=0.4)))
    model = model.to(device).eval()
    sample = SegDataSample(metainfo=dict(
        img_labels=np.array([1, 0, 1], np.float32), img_shape=(32, 48),
        ori_shape=(32, 48), img_path='x.jpg'))
    torch.manual_seed(0)
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 48, device=device),
                            [sample])[0]
    label = cams_to_label_map(out.pred_cams.data[None], 0.4)[0].cpu().numpy()
    assert np.array_equal(label, out.pred_sem_seg.data[0].cpu().numpy())
    assert set(np.unique(label)) <= {0, 1, 3}  # class b is absent
