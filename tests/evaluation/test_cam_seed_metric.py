import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from semples_mmseg.evaluation import CAMSeedMetric
from semples_mmseg.evaluation.cam_seed_metric import (first_local_max,
                                                      thresholds_from_range)
from semples_mmseg.models.utils import cams_to_label_map

CLASSES = ('background', 'a', 'b', 'c')


def sample(cams, gt, name='img.jpg'):
    return dict(img_path=name,
                pred_cams=dict(data=torch.as_tensor(cams, dtype=torch.float)),
                gt_sem_seg=dict(data=torch.as_tensor(gt)[None]))


def brute_force_miou(images, threshold, k):
    """Label map per image by the model's own function, full confusion, IoU."""
    conf = np.zeros((k + 1, k + 1), np.int64)
    for cams, gt in images:
        pred = cams_to_label_map(torch.as_tensor(cams)[None],
                                 threshold)[0].numpy()
        for g, p in zip(gt.ravel(), pred.ravel()):  # pixel by pixel
            if g != 255:
                conf[g, p] += 1
    inter = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.nanmean(inter / union) * 100


def run(metric, images):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g) for c, g in images])
    return metric.compute_metrics(metric.results)


def random_images(seed, sizes):
    rng = np.random.default_rng(seed)
    images = []
    for h, w in sizes:
        # values on the threshold grid, so exact ties m == t occur
        cams = np.round(rng.random((3, h, w)), 2).astype(np.float32)
        gt = rng.integers(0, 4, (h, w))
        gt[rng.random((h, w)) < 0.1] = 255
        images.append((cams, gt))
    return images


def test_every_threshold_matches_brute_force():
    images = random_images(0, ((5, 7), (9, 4), (6, 6)))
    metric = CAMSeedMetric(threshold_range=(0.0, 1.0, 0.07))
    grid = metric.thresholds.astype(np.float32)
    assert sum(np.isin(c.max(0), grid).sum() for c, _ in images) >= 5  # ties
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g) for c, g in images[:2]])
    metric.process({}, [sample(*images[2])])
    conf = metric.confusions(metric.results, 3)
    assert conf.shape == (15, 4, 4)
    miou = np.nanmean(metric.class_iou(conf), axis=1) * 100
    expected = [brute_force_miou(images, t, 3) for t in metric.thresholds]
    assert miou.tolist() == expected  # exact, every threshold
    result = metric.compute_metrics(metric.results)
    assert result['mIoU'] == round(max(expected), 2)
    assert result['best_threshold'] == metric.thresholds[np.argmax(expected)]


def test_ties_go_to_background_at_float32():
    # m == t exactly (as float32): background, like the model's argmax
    cams = np.array([[[0.45, 0.46]], [[0.1, 0.2]]], np.float32)
    gt = np.array([[1, 1]])
    metric = CAMSeedMetric(thresholds=[0.45])
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    metric.process({}, [sample(cams, gt)])
    conf = metric.confusions(metric.results, 2)[0]
    assert conf.tolist() == [[0, 0, 0], [1, 1, 0], [0, 0, 0]]


def test_tiny_example_by_hand():
    # 2 x 3 image, classes a and b; threshold 0.5
    cams = np.array([[[0.9, 0.6, 0.1], [0.2, 0.5, 0.0]],
                     [[0.1, 0.7, 0.2], [0.8, 0.1, 0.3]],
                     np.zeros((2, 3))])
    gt = np.array([[1, 1, 0], [2, 255, 0]])
    # predictions: [[a, b, bg], [b, (ignored), bg]]
    # bg IoU 2/2, a IoU 1/2 (GT a at 2 pixels, predicted a at 1), b IoU 1/2,
    # c absent everywhere -> NaN -> mIoU = (1 + .5 + .5) / 3
    metric = CAMSeedMetric(thresholds=[0.5])
    result = run(metric, [(cams, gt)])
    iou = metric.class_iou(metric.confusions(metric.results, 3))[0]
    assert iou[:3].tolist() == [1.0, 0.5, 0.5] and np.isnan(iou[3])
    assert result == dict(mIoU=66.67, best_threshold=0.5,
                          mIoU_first_local_max=66.67,
                          threshold_first_local_max=0.5)


def test_first_local_max_differs_from_global_max():
    assert first_local_max([1, 3, 2, 5, 4]) == 1
    assert first_local_max([1, 2, 3]) == 2
    assert first_local_max([3, 3, 2]) == 1  # a plateau keeps sweeping
    # one row of 7 pixels, class a only; by hand (bg IoU, a IoU -> mean):
    # t=.40: (2/4, 3/5) -> 55.00   t=.50: (2/5, 2/5) -> 40.00
    # t=.60: (4/5, 2/3) -> 73.33   t=.70: (4/6, 1/3) -> 50.00
    a = np.array([[0.45, 0.55, 0.65, 0.75, 0.3, 0.3, 0.55]])
    cams = np.concatenate([a[None], np.zeros((2, 1, 7))]).astype(np.float32)
    gt = np.array([[1, 0, 1, 1, 0, 0, 0]])
    result = run(CAMSeedMetric(thresholds=[0.40, 0.50, 0.60, 0.70]),
                 [(cams, gt)])
    assert result == dict(mIoU=73.33, best_threshold=0.6,
                          mIoU_first_local_max=55.0,
                          threshold_first_local_max=0.4)


def test_table_and_curve_are_logged(tmp_path):
    log_file = tmp_path / 'seed.log'
    MMLogger.get_instance(f'seed_metric_{tmp_path.name}',
                          log_file=str(log_file))
    cams = np.array([[[0.9, 0.1]], [[0.0, 0.0]], [[0.0, 0.0]]])
    # t=.5: bg and a right -> 100; t=.95: all bg -> bg IoU 1/2, a 0 -> 25
    run(CAMSeedMetric(thresholds=[0.5, 0.95]), [(cams, np.array([[1, 0]]))])
    out = log_file.read_text()
    assert 'background threshold 0.50' in out
    rows = [r.split('|')[1:-1] for r in out.splitlines() if r.startswith('|')]
    assert [[c.strip() for c in r] for r in rows] == [
        ['Class', 'IoU', 'Acc'], ['background', '100.0', '100.0'],
        ['a', '100.0', '100.0'], ['b', 'nan', 'nan'], ['c', 'nan', 'nan']]
    assert 'seed mIoU by background threshold: 0.5: 100.00, 0.95: 25.00' \
        in out


def test_threshold_range_and_defaults():
    assert CAMSeedMetric().thresholds.tolist() == [
        round(0.40 + i / 100, 2) for i in range(20)]
    assert CAMSeedMetric(threshold_range=(0.40, 0.60, 0.01)).thresholds.tolist(
    ) == CAMSeedMetric().thresholds.tolist()
    assert thresholds_from_range(0.1, 0.4, 0.1) == (0.1, 0.2, 0.3)
    assert CAMSeedMetric(thresholds=(0.3, 0.5)).thresholds.tolist() == [0.3,
                                                                        0.5]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='ascending'):
        CAMSeedMetric(thresholds=[0.5, 0.4])
    with pytest.raises(ValueError, match='not both'):
        CAMSeedMetric(thresholds=[0.5], threshold_range=(0.4, 0.6, 0.01))
    with pytest.raises(ValueError, match=r'step > 0.*\(0.4, 0.6, 0.0\)'):
        CAMSeedMetric(threshold_range=(0.4, 0.6, 0))
    with pytest.raises(ValueError, match=r'\(start, stop, step\)'):
        CAMSeedMetric(threshold_range=(0.4, 0.6))


def test_bad_samples_are_named():
    metric = CAMSeedMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    with pytest.raises(KeyError, match='pred_cams.*x.jpg'):
        metric.process({}, [dict(img_path='x.jpg',
                                 gt_sem_seg=dict(data=torch.zeros(1, 2, 2)))])
    with pytest.raises(KeyError, match='gt_sem_seg.*x.jpg'):
        metric.process({}, [dict(img_path='x.jpg',
                                 pred_cams=dict(data=torch.zeros(3, 2, 2)))])
    with pytest.raises(ValueError, match='x.jpg.*differ in size'):
        metric.process({}, [sample(np.zeros((3, 2, 2)), np.zeros((3, 3)),
                                   'x.jpg')])
    with pytest.raises(ValueError, match='y.jpg.*value 7 outside 0..K = 0..3'):
        metric.process({}, [sample(np.zeros((3, 1, 2)), np.array([[7, 255]]),
                                   'y.jpg')])
    with pytest.raises(ValueError, match='z.jpg.*2 classes.*name 3'):
        metric.process({}, [sample(np.zeros((2, 1, 2)), np.zeros((1, 2)),
                                   'z.jpg')])
    assert metric.results == []


def test_no_labelled_pixel_and_missing_classes_are_named():
    metric = CAMSeedMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(np.zeros((3, 1, 2)), np.full((1, 2), 255))])
    with pytest.raises(ValueError, match='no labelled pixel in 1 images'):
        metric.compute_metrics(metric.results)
    metric.dataset_meta = dict()
    with pytest.raises(KeyError, match=r"dataset_meta\['classes'\]"):
        metric.compute_metrics(metric.results)


def test_results_are_small_and_survive_evaluate():
    # 3 images of 40 x 50 pixels: a few hundred counts, not per-pixel data
    images = random_images(1, ((40, 50), (30, 20), (10, 10)))
    metric = CAMSeedMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g) for c, g in images])
    assert all(index.size <= 4 * 3 * 21 for index, _, _ in metric.results)
    assert sum(int(c.sum()) for _, c, _ in metric.results) == sum(
        int((g != 255).sum()) for _, g in images)
    result = metric.evaluate(size=3)  # BaseMetric's collect + compute
    expected = max(brute_force_miou(images, t, 3) for t in metric.thresholds)
    assert result['mIoU'] == round(expected, 2)


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


def test_seed_curve_is_what_compute_metrics_reports():
    rng = np.random.default_rng(1)
    cams = rng.random((3, 4, 5)).astype(np.float32)
    gt = rng.integers(0, 4, (4, 5))
    metric = CAMSeedMetric(thresholds=[0.2, 0.5, 0.8])
    result = run(metric, [(cams, gt)])
    iou, miou = metric.seed_curve(metric.results, 3)
    assert iou.shape == (3, 4) and miou.shape == (3, )
    for t, m in zip(metric.thresholds, miou):
        assert m == pytest.approx(brute_force_miou([(cams, gt)], t, 3))
    assert result['mIoU'] == pytest.approx(round(miou.max(), 2))
