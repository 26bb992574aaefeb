"""Seed mIoU of CAMs over every background threshold in one pass."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.dist import is_main_process
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from PIL import Image
from prettytable import PrettyTable

from mmseg.registry import METRICS


def default_thresholds() -> Tuple[float, ...]:
    """0.40, 0.41, ..., 0.59."""
    return tuple(np.round(np.arange(40, 60) / 100, 2).tolist())


def first_local_max(values: Sequence[float]) -> int:
    """Index where an upward sweep first stops improving (the reference's choice)."""
    for i in range(len(values) - 1):
        if values[i + 1] < values[i]:
            return i
    return len(values) - 1


@METRICS.register_module()
class CAMSeedMetric(BaseMetric):
    """Seed mIoU: background constant t prepended to the CAMs, then argmax.

    For a pixel only the maximum CAM value m and its class c matter: it is
    labelled c + 1 where m > t and background otherwise. Each image is
    therefore reduced to a histogram over (GT class, c, threshold bin of m),
    and the confusion matrix of *every* threshold follows from cumulative
    sums at the end: one pass over the data, whatever the number of
    thresholds. Reads ``pred_cams`` (K, H, W) in [0, 1] and ``gt_sem_seg``
    (0 background, 1..K, 255 ignored) of each data sample.

    Reports ``mIoU`` (percent) at the best threshold, ``best_threshold``,
    ``mIoU_first_local_max`` / ``threshold_first_local_max`` (sweep upward,
    stop at the first drop: the reference's choice), logs the per-class IoU
    table (mmseg's format) and the whole curve.

    Args:
        thresholds: background thresholds, ascending.
        ignore_index: GT value left out.
        output_dir: if set (``tools/test.py --out DIR``), each sample's
            ``pred_sem_seg`` (the seed label map at the model's threshold)
            is written there as ``{image name}.png``.
        keep_results: accepted for ``tools/test.py --out``; the label maps
            are written whenever ``output_dir`` is set.
        format_only: only write the label maps, compute no metric (for
            splits without masks).
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 *,
                 thresholds: Optional[Sequence[float]] = None,
                 ignore_index: int = 255,
                 output_dir: Optional[str] = None,
                 keep_results: bool = False,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and output_dir is None:
            raise ValueError('format_only needs an output_dir')
        self.output_dir = output_dir
        self.format_only = format_only
        if output_dir is not None and is_main_process():
            mkdir_or_exist(output_dir)
        thresholds = default_thresholds() if thresholds is None else tuple(
            float(t) for t in thresholds)
        if not thresholds or list(thresholds) != sorted(set(thresholds)):
            raise ValueError('thresholds must be a non-empty ascending '
                             f'sequence without repeats, got {thresholds}')
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if self.output_dir is not None:
                self.write_label_map(sample)
            if self.format_only:
                continue
            if 'pred_cams' not in sample:
                raise KeyError('CAMSeedMetric needs pred_cams in the '
                               'predictions (a SemPLeSSegmentor-style model); '
                               f'got {sorted(sample)}')
            cams = sample['pred_cams']['data'].float().cpu().numpy()
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu().numpy()
            self.results.append(self.image_histogram(cams, gt))

    def write_label_map(self, sample: dict) -> None:
        """``pred_sem_seg`` as ``{output_dir}/{image name}.png`` (uint8)."""
        name = osp.splitext(osp.basename(sample['img_path']))[0]
        label = sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy()
        Image.fromarray(label.astype(np.uint8)).save(
            osp.join(self.output_dir, name + '.png'))

    def image_histogram(self, cams: np.ndarray,
                        gt: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Sparse counts over (gt, argmax class, threshold bin) of one image.

        Returns flat indices and their counts (int64).
        """
        k = cams.shape[0]
        if cams.shape[1:] != gt.shape:
            raise ValueError(f'pred_cams {cams.shape[1:]} and gt_sem_seg '
                             f'{gt.shape} differ in size')
        valid = gt != self.ignore_index
        best = cams.max(axis=0)[valid]
        cls = cams.argmax(axis=0)[valid]
        gt_v = gt[valid].astype(np.int64)
        if gt_v.size and gt_v.max() > k:
            raise ValueError(f'gt_sem_seg has value {gt_v.max()} > K = {k}')
        # bin = number of thresholds strictly below m: t_j < m  <=>  j < bin
        bins = np.searchsorted(self.thresholds, best, side='left')
        n_bins = len(self.thresholds) + 1
        flat = (gt_v * k + cls) * n_bins + bins
        index, counts = np.unique(flat, return_counts=True)
        return index, counts.astype(np.int64)

    def confusions(self, results: List, k: int) -> np.ndarray:
        """(T, K + 1, K + 1) confusion matrices (rows GT, columns prediction)."""
        n_bins = len(self.thresholds) + 1
        hist = np.zeros((k + 1) * k * n_bins, np.int64)
        for index, counts in results:
            np.add.at(hist, index, counts)
        hist = hist.reshape(k + 1, k, n_bins)
        # above[g, c, j]: pixels whose m exceeds threshold j (bins > j)
        above = np.flip(np.cumsum(np.flip(hist, 2), axis=2), 2)[:, :, 1:]
        total = hist.sum(axis=2)  # (K + 1, K)
        conf = np.zeros((len(self.thresholds), k + 1, k + 1), np.int64)
        conf[:, :, 1:] = above.transpose(2, 0, 1)
        conf[:, :, 0] = (total.sum(axis=1)[None] -
                         above.sum(axis=1).transpose(1, 0))
        return conf

    @staticmethod
    def class_iou(conf: np.ndarray) -> np.ndarray:
        """Per-class IoU (NaN where a class is absent from GT and prediction)."""
        inter = np.diagonal(conf, axis1=-2, axis2=-1).astype(np.float64)
        union = conf.sum(-1) + conf.sum(-2) - inter
        with np.errstate(invalid='ignore', divide='ignore'):
            return inter / union

    def compute_metrics(self, results: List) -> Dict[str, float]:
        if self.format_only:
            print_log(f'label maps written to {self.output_dir}',
                      logger='current')
            return OrderedDict()
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise KeyError("CAMSeedMetric needs dataset_meta['classes'] "
                           '(background first)')
        k = len(classes) - 1
        conf = self.confusions(results, k)
        iou = self.class_iou(conf)  # (T, K + 1)
        miou = np.nanmean(iou, axis=1) * 100
        best = int(np.nanargmax(miou))
        first = first_local_max(miou.tolist())
        logger = MMLogger.get_current_instance()
        table = PrettyTable()
        table.add_column('Class', list(classes))
        table.add_column('IoU', np.round(iou[best] * 100, 2).tolist())
        print_log(f'per-class seed IoU at threshold '
                  f'{self.thresholds[best]:.2f}:\n' + table.get_string(),
                  logger=logger)
        curve = ', '.join(f'{t:.2f}: {m:.2f}'
                          for t, m in zip(self.thresholds, miou))
        print_log(f'seed mIoU by threshold: {curve}', logger=logger)
        return OrderedDict(
            mIoU=round(float(miou[best]), 2),
            best_threshold=float(self.thresholds[best]),
            mIoU_first_local_max=round(float(miou[first]), 2),
            threshold_first_local_max=float(self.thresholds[first]))
