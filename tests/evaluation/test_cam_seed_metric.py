import json

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from semples_mmseg.evaluation import CAMSeedMetric
from semples_mmseg.evaluation.cam_seed_metric import (select_threshold,
                                                      thresholds_from_range)
from semples_mmseg.models.segmentors.cam_inference import cams_to_label_map

CLASSES = ('background', 'a', 'b', 'c')


def sample(cams, gt, name='img.jpg', device='cpu'):
    return dict(img_path=name,
                pred_cams=dict(data=torch.as_tensor(cams, dtype=torch.float,
                                                    device=device)),
                gt_sem_seg=dict(data=torch.as_tensor(gt, device=device)[None]))


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


def test_every_threshold_matches_brute_force(device):
    images = random_images(0, ((5, 7), (9, 4), (6, 6)))
    metric = CAMSeedMetric(threshold_range=(0.0, 1.0, 0.07),
                           threshold_rule='max')
    grid = metric.thresholds.astype(np.float32)
    assert sum(np.isin(c.max(0), grid).sum() for c, _ in images) >= 5  # ties
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [sample(c, g, device=device) for c, g in images[:2]])
    metric.process({}, [sample(*images[2], device=device)])
    conf = metric.confusions(metric.results, 3)
    assert conf.shape == (15, 4, 4)
    miou = np.nanmean(metric.class_iou(conf), axis=1) * 100
    expected = [brute_force_miou(images, t, 3) for t in metric.thresholds]
    assert miou.tolist() == expected  # exact, every threshold
    result = metric.compute_metrics(metric.results)
    assert result['mIoU'] == round(max(expected), 2)
    assert result['threshold'] == metric.thresholds[np.argmax(expected)]
    assert result['threshold_max'] == result['threshold']
    greedy = select_threshold(expected, 'greedy')
    assert result['mIoU_greedy'] == round(expected[greedy], 2)


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
    assert result == dict(mIoU=66.67, threshold=0.5, mIoU_greedy=66.67,
                          threshold_greedy=0.5, mIoU_max=66.67,
                          threshold_max=0.5)


def test_select_threshold_greedy_stops_at_the_first_non_improvement():
    assert select_threshold([1, 3, 2, 5, 4], 'greedy') == 1
    assert select_threshold([1, 2, 3], 'greedy') == 2
    assert select_threshold([3, 3, 5], 'greedy') == 0  # equal stops the walk
    assert select_threshold([3, 2, 5], 'greedy') == 0
    assert select_threshold([7], 'greedy') == 0
    assert select_threshold([1, 3, 2, 5, 4], 'max') == 3
    assert select_threshold([1, np.nan, 5, 5], 'max') == 2  # first of ties
    assert select_threshold([1, np.nan, 5], 'greedy') == 0  # NaN stops
    with pytest.raises(ValueError, match="threshold_rule.*'best'"):
        select_threshold([1, 2], 'best')
    with pytest.raises(ValueError, match='non-empty'):
        select_threshold([], 'max')
    with pytest.raises(ValueError, match='all NaN'):
        select_threshold([np.nan], 'max')


def test_plateau_stops_the_sweep_at_0_40():
    # one row of 7 pixels, class a only; no CAM value lies in (0.40, 0.41],
    # so both thresholds give the same labels (a plateau), by hand:
    # t=.40, .41: a at pixels 0, 2, 3 (GT a: 2, 3): bg 4/5, a 2/3 -> 73.33
    # t=.50: a at 2, 3: bg 5/5, a 2/2 -> 100
    a = np.array([[0.45, 0.3, 0.65, 0.75, 0.3, 0.3, 0.3]])
    cams = np.concatenate([a[None], np.zeros((2, 1, 7))]).astype(np.float32)
    gt = np.array([[0, 0, 1, 1, 0, 0, 0]])
    metric = CAMSeedMetric(thresholds=[0.40, 0.41, 0.50])
    result = run(metric, [(cams, gt)])
    assert result == dict(mIoU=73.33, threshold=0.40, mIoU_greedy=73.33,
                          threshold_greedy=0.40, mIoU_max=100.0,
                          threshold_max=0.5)
    result = run(CAMSeedMetric(thresholds=[0.40, 0.41, 0.50],
                               threshold_rule='max'), [(cams, gt)])
    assert (result['mIoU'], result['threshold']) == (100.0, 0.5)
    with pytest.raises(ValueError, match="threshold_rule.*'first_local_max'"):
        CAMSeedMetric(threshold_rule='first_local_max')


def test_greedy_and_global_max_differ():
    # one row of 7 pixels, class a only; by hand (bg IoU, a IoU -> mean):
    # t=.40: (2/4, 3/5) -> 55.00   t=.50: (2/5, 2/5) -> 40.00
    # t=.60: (4/5, 2/3) -> 73.33   t=.70: (4/6, 1/3) -> 50.00
    a = np.array([[0.45, 0.55, 0.65, 0.75, 0.3, 0.3, 0.55]])
    cams = np.concatenate([a[None], np.zeros((2, 1, 7))]).astype(np.float32)
    gt = np.array([[1, 0, 1, 1, 0, 0, 0]])
    result = run(CAMSeedMetric(thresholds=[0.40, 0.50, 0.60, 0.70]),
                 [(cams, gt)])
    assert result == dict(mIoU=55.0, threshold=0.4, mIoU_greedy=55.0,
                          threshold_greedy=0.4, mIoU_max=73.33,
                          threshold_max=0.6)


def test_table_and_curve_are_logged(tmp_path):
    log_file = tmp_path / 'seed.log'
    MMLogger.get_instance(f'seed_metric_{tmp_path.name}',
                          log_file=str(log_file))
    cams = np.array([[[0.9, 0.1]], [[0.0, 0.0]], [[0.0, 0.0]]])
    # t=.5: bg and a right -> 100; t=.95: all bg -> bg IoU 1/2, a 0 -> 25
    run(CAMSeedMetric(thresholds=[0.5, 0.95]), [(cams, np.array([[1, 0]]))])
    out = log_file.read_text()
    assert 'background threshold 0.50, greedy rule' in out
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
    assert all(r[0].size <= 4 * 3 * 21 for r in metric.results)
    assert sum(int(r[1].sum()) for r in metric.results) == sum(
        int((g != 255).sum()) for _, g in images)
    result = metric.evaluate(size=3)  # BaseMetric's collect + compute
    expected = max(brute_force_miou(images, t, 3) for t in metric.thresholds)
    assert result['mIoU_max'] == round(expected, 2)


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
    assert result['mIoU_max'] == pytest.approx(round(miou.max(), 2))
    assert result['mIoU'] == pytest.approx(
        round(miou[select_threshold(miou, 'greedy')], 2))


def model_sample(cams, gt, name, bg=0.43, device='cpu'):
    """A data sample as SemPLeSSegmentor.predict writes it (threshold bg)."""
    cams = torch.as_tensor(cams, dtype=torch.float, device=device)
    logits = torch.cat([torch.full_like(cams[:1], bg), cams])
    return dict(img_path=name, pred_cams=dict(data=cams),
                seg_logits=dict(data=logits),
                pred_sem_seg=dict(data=logits.argmax(0, keepdim=True)),
                gt_sem_seg=dict(data=torch.as_tensor(gt, device=device)[None]))


def read_png(path):
    from PIL import Image
    return np.array(Image.open(path))


@pytest.mark.parametrize('output_threshold', [None, 0.6])
def test_out_records_the_threshold_of_its_label_maps(tmp_path,
                                                     output_threshold, device):
    images = random_images(3, ((6, 7), (5, 4)))
    out = tmp_path / 'out'
    log_file = tmp_path / 'out.log'
    MMLogger.get_instance(f'out_{tmp_path.name}', log_file=str(log_file))
    metric = CAMSeedMetric(thresholds=[0.3, 0.4, 0.5], output_dir=str(out),
                           output_threshold=output_threshold)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [model_sample(c, g, f'/d/img{i}.jpg', device=device)
                        for i, (c, g) in enumerate(images)])
    result = metric.compute_metrics(metric.results)
    used = 0.43 if output_threshold is None else 0.6
    for i, (cams, _) in enumerate(images):  # the files: labels at `used`
        expected = cams_to_label_map(torch.as_tensor(cams)[None], used)[0]
        assert np.array_equal(read_png(out / f'img{i}.png'), expected.numpy())
    summary = json.loads((out / 'label_maps.json').read_text())
    assert summary == dict(
        background_threshold=used,
        threshold_source=('model.test_cfg.bg_threshold'
                          if output_threshold is None else
                          'test_evaluator.output_threshold'),
        label_maps_mIoU=round(brute_force_miou(images, used, 3), 2),
        threshold_rule='greedy', selected_threshold=result['threshold'],
        selected_mIoU=result['mIoU'])
    log = log_file.read_text()
    assert f'label maps in {out} use background threshold {used}' in log
    assert f"rule of the sweep picks {result['threshold']:g}" in log


def test_out_threshold_errors_are_named(tmp_path):
    with pytest.raises(ValueError, match='output_threshold needs an '
                       'output_dir'):
        CAMSeedMetric(output_threshold=0.3)
    metric = CAMSeedMetric(output_dir=str(tmp_path))
    metric.dataset_meta = dict(classes=CLASSES)
    cams, gt = random_images(4, ((2, 2), ))[0]
    metric.process({}, [model_sample(cams, gt, 'a.jpg', bg=0.43)])
    with pytest.raises(ValueError, match='b.jpg .*threshold 0.5, earlier '
                       'images at 0.43'):
        metric.process({}, [model_sample(cams, gt, 'b.jpg', bg=0.5)])


def test_format_only_still_says_which_threshold(tmp_path):
    metric = CAMSeedMetric(output_dir=str(tmp_path), format_only=True)
    cams, gt = random_images(5, ((3, 3), ))[0]
    metric.process({}, [model_sample(cams, gt, 'a.jpg', bg=0.3)])
    assert metric.compute_metrics(metric.results) == {}
    summary = json.loads(
        (tmp_path / 'label_maps.json').read_text())
    assert summary['background_threshold'] == 0.3
    assert summary['label_maps_mIoU'] is None
