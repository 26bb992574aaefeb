import numpy as np
import pytest
import torch

from semples_mmseg.evaluation import CAMSeedMetric
from semples_mmseg.evaluation.cam_seed_metric import first_local_max

CLASSES = ('background', 'a', 'b', 'c')


def sample(cams, gt):
    return dict(pred_cams=dict(data=torch.as_tensor(cams, dtype=torch.float)),
                gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))


def brute_force_miou(images, threshold, k):
    conf = np.zeros((k + 1, k + 1), np.int64)
    for cams, gt in images:
        full = np.concatenate([np.full((1, *gt.shape), threshold), cams])
        pred = full.argmax(0)
        valid = gt != 255
        np.add.at(conf, (gt[valid], pred[valid]), 1)
    inter = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.nanmean(inter / union) * 100


def run(metric, images):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g) for c, g in images])
    return metric.compute_metrics(metric.results)


def test_every_threshold_matches_brute_force():
    rng = np.random.default_rng(0)
    images = []
    for h, w in ((5, 7), (9, 4), (6, 6)):
        # values on the threshold grid, so ties occur; float32 as CAMs are
        cams = np.round(rng.random((3, h, w)), 2).astype(np.float32)
        gt = rng.integers(0, 4, (h, w))
        gt[rng.random((h, w)) < 0.1] = 255
        images.append((cams, gt))
    metric = CAMSeedMetric(thresholds=np.round(np.arange(0, 100, 7) / 100, 2))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g) for c, g in images])
    conf = metric.confusions(metric.results, 3)
    miou = np.nanmean(metric.class_iou(conf), axis=1) * 100
    for t, m in zip(metric.thresholds, miou):
        assert m == pytest.approx(brute_force_miou(images, t, 3), abs=1e-9)
    result = metric.compute_metrics(metric.results)
    assert result['mIoU'] == pytest.approx(round(miou.max(), 2))
    assert result['best_threshold'] == metric.thresholds[miou.argmax()]


def test_tiny_example_by_hand():
    # 2 x 3 image, classes a and b; threshold 0.5
    cams = np.array([[[0.9, 0.6, 0.1], [0.2, 0.5, 0.0]],
                     [[0.1, 0.7, 0.2], [0.8, 0.1, 0.3]],
                     np.zeros((2, 3))])
    gt = np.array([[1, 1, 0], [2, 255, 0]])
    # predictions: [[a, b, bg], [b, (ignored), bg]]
    # bg IoU 2/2, a IoU 1/2 (GT a at 2 pixels, predicted a at 1), b IoU 1/2,
    # c absent everywhere -> NaN -> mIoU = (1 + .5 + .5) / 3
    result = run(CAMSeedMetric(thresholds=[0.5]), [(cams, gt)])
    assert result['mIoU'] == pytest.approx(100 * 2 / 3, abs=0.01)


def test_first_local_max_differs_from_global_max():
    assert first_local_max([1, 3, 2, 5, 4]) == 1
    assert first_local_max([1, 2, 3]) == 2
    # one row of 7 pixels, class a only; by hand (bg IoU, a IoU -> mean):
    # t=.40: (2/4, 3/5) -> 55.00   t=.50: (2/5, 2/5) -> 40.00
    # t=.60: (4/5, 2/3) -> 73.33   t=.70: (4/6, 1/3) -> 50.00
    a = np.array([[0.45, 0.55, 0.65, 0.75, 0.3, 0.3, 0.55]])
    cams = np.concatenate([a[None], np.zeros((2, 1, 7))]).astype(np.float32)
    gt = np.array([[1, 0, 1, 1, 0, 0, 0]])
    result = run(CAMSeedMetric(thresholds=[0.40, 0.50, 0.60, 0.70]),
                 [(cams, gt)])
    assert result['mIoU_first_local_max'] == pytest.approx(55.0)
    assert result['threshold_first_local_max'] == 0.40
    assert result['mIoU'] == pytest.approx(73.33)
    assert result['best_threshold'] == 0.60


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match='ascending'):
        CAMSeedMetric(thresholds=[0.5, 0.4])
    metric = CAMSeedMetric()
    with pytest.raises(KeyError, match='pred_cams'):
        metric.process({}, [dict(gt_sem_seg=dict(data=torch.zeros(1, 2, 2)))])
    with pytest.raises(ValueError, match='differ in size'):
        metric.process({}, [sample(np.zeros((3, 2, 2)), np.zeros((3, 3)))])


def test_default_thresholds():
    assert CAMSeedMetric().thresholds.tolist() == [
        round(0.40 + i / 100, 2) for i in range(20)]


def test_output_dir_receives_the_seed_label_maps(tmp_path):
    metric = CAMSeedMetric(output_dir=str(tmp_path / 'out'), format_only=True)
    label = torch.tensor([[[0, 3], [1, 0]]], dtype=torch.uint8)
    metric.process({}, [dict(img_path='/data/JPEGImages/2007_000001.jpg',
                             pred_sem_seg=dict(data=label))])
    from PIL import Image
    written = np.array(Image.open(tmp_path / 'out' / '2007_000001.png'))
    assert written.tolist() == [[0, 3], [1, 0]]
    assert metric.compute_metrics(metric.results) == {}
    with pytest.raises(ValueError, match='output_dir'):
        CAMSeedMetric(format_only=True)
