"""Seed mIoU of CAMs over every background threshold in one pass."""
import math
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from PIL import Image
from prettytable import PrettyTable

from mmseg.registry import METRICS

#: one image's sparse histogram: (flat indices, counts, K)
ImageHistogram = Tuple[np.ndarray, np.ndarray, int]


def default_thresholds() -> Tuple[float, ...]:
    """0.40, 0.41, ..., 0.59."""
    return thresholds_from_range(0.40, 0.60, 0.01)


def thresholds_from_range(start: float, stop: float,
                          step: float) -> Tuple[float, ...]:
    """``start, start + step, ...`` below ``stop`` (exclusive, as ``range``).

    Values are rounded to 6 decimals so 0.1 + 0.2 reads 0.3.
    """
    if not step > 0 or not stop > start:
        raise ValueError('threshold_range must be (start, stop, step) with '
                         f'stop > start and step > 0, got '
                         f'{(start, stop, step)}')
    count = math.ceil((stop - start) / step - 1e-9)
    return tuple(round(start + i * step, 6) for i in range(count))


def first_local_max(values: Sequence[float]) -> int:
    """Index where an upward sweep first stops improving.

    The reference keeps this threshold (its first local maximum).
    """
    for i in range(len(values) - 1):
        if values[i + 1] < values[i]:
            return i
    return len(values) - 1


@METRICS.register_module()
class CAMSeedMetric(BaseMetric):
    """Seed mIoU: background constant t prepended to the CAMs, then argmax.

    For a pixel only the maximum CAM value m and its class c matter: it is
    labelled c + 1 where m > t and background otherwise (ties go to the
    background; m and t compared in float32, as the model's own argmax).
    Each image is therefore reduced to a sparse histogram over (GT class, c,
    threshold bin of m), and the confusion matrix of *every* threshold
    follows from cumulative sums at the end: one pass over the data, whatever
    the number of thresholds. Reads ``pred_cams`` (K, H, W) in [0, 1] and
    ``gt_sem_seg`` (1, H, W) (0 background, 1..K, ``ignore_index`` left out)
    of each data sample.

    Returns (no prefix by default): ``mIoU`` (percent) at the best threshold,
    ``best_threshold``, ``mIoU_first_local_max`` and
    ``threshold_first_local_max`` (sweep upward, stop at the first drop: the
    reference's choice). Logs the per-class IoU / Acc table at the best
    threshold (mmseg's format) and the whole mIoU-by-threshold curve as text.
    mIoU is the nanmean over the K + 1 classes, background included; a class
    absent from both GT and prediction is NaN and skipped.

    Args:
        thresholds: background thresholds, ascending (default 0.40 ... 0.59).
        threshold_range: ``(start, stop, step)`` instead of ``thresholds``;
            ``stop`` is exclusive, e.g. ``(0.40, 0.60, 0.01)``.
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
                 threshold_range: Optional[Sequence[float]] = None,
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
        if thresholds is not None and threshold_range is not None:
            raise ValueError('give thresholds or threshold_range, not both '
                             f'(got {thresholds} and {threshold_range})')
        if threshold_range is not None:
            if len(threshold_range) != 3:
                raise ValueError('threshold_range must be (start, stop, '
                                 f'step), got {threshold_range}')
            thresholds = thresholds_from_range(*map(float, threshold_range))
        elif thresholds is None:
            thresholds = default_thresholds()
        thresholds = tuple(float(t) for t in thresholds)
        if not thresholds or list(thresholds) != sorted(set(thresholds)):
            raise ValueError('thresholds must be a non-empty ascending '
                             f'sequence without repeats, got {thresholds}')
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to its sparse histogram (kept in ``results``)."""
        for sample in data_samples:
            if self.output_dir is not None:
                self.write_label_map(sample)
            if self.format_only:
                continue
            for key in ('pred_cams', 'gt_sem_seg'):
                if key not in sample:
                    raise KeyError(
                        f'CAMSeedMetric needs {key} in every data sample '
                        '(pred_cams from a SemPLeSSegmentor-style model, '
                        f'gt_sem_seg from the dataset); {sample_name(sample)}'
                        f' has {sorted(sample)}')
            cams = sample['pred_cams']['data'].float().cpu().numpy()
            gt = sample['gt_sem_seg']['data'].cpu().numpy()
            gt = gt[0] if gt.ndim == 3 else gt
            classes = (self.dataset_meta or {}).get('classes')
            if classes is not None and cams.shape[0] != len(classes) - 1:
                raise ValueError(
                    f'pred_cams of {sample_name(sample)} has '
                    f'{cams.shape[0]} classes but dataset_meta classes '
                    f'name {len(classes) - 1} besides background')
            try:
                self.results.append(self.image_histogram(cams, gt))
            except ValueError as err:
                raise ValueError(f'{sample_name(sample)}: {err}') from None

    def write_label_map(self, sample: dict) -> None:
        """``pred_sem_seg`` as ``{output_dir}/{image name}.png`` (uint8)."""
        name = osp.splitext(osp.basename(sample['img_path']))[0]
        label = sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy()
        Image.fromarray(label.astype(np.uint8)).save(
            osp.join(self.output_dir, name + '.png'))

    def image_histogram(self, cams: np.ndarray,
                        gt: np.ndarray) -> ImageHistogram:
        """Sparse counts over (gt, argmax class, threshold bin) of one image.

        Args:
            cams: (K, H, W) float32.
            gt: (H, W) integer labels.

        Returns:
            Flat indices into a (K + 1, K, T + 1) histogram, their counts
            (int64) and K. Bin j of m counts the thresholds below m.
        """
        k = cams.shape[0]
        if cams.ndim != 3 or cams.shape[1:] != gt.shape:
            raise ValueError(f'pred_cams {cams.shape} (K, H, W) and '
                             f'gt_sem_seg {gt.shape} (H, W) differ in size')
        valid = gt != self.ignore_index
        gt_valid = gt[valid].astype(np.int64)
        if gt_valid.size and (gt_valid.min() < 0 or gt_valid.max() > k):
            bad = gt_valid.min() if gt_valid.min() < 0 else gt_valid.max()
            raise ValueError(f'gt_sem_seg has value {bad} outside 0..K = '
                             f'0..{k} (ignore_index {self.ignore_index})')
        best = cams.max(axis=0)[valid]
        cls = cams.argmax(axis=0)[valid]
        # compare as the model does (float32): t_j < m  <=>  j < bin
        bins = np.searchsorted(
            self.thresholds.astype(cams.dtype), best, side='left')
        n_bins = len(self.thresholds) + 1
        flat = (gt_valid * k + cls) * n_bins + bins
        index, counts = np.unique(flat, return_counts=True)
        return index, counts.astype(np.int64), k

    def confusions(self, results: List[ImageHistogram],
                   k: int) -> np.ndarray:
        """(T, K + 1, K + 1) confusions (rows GT, columns prediction)."""
        n_bins = len(self.thresholds) + 1
        hist = np.zeros((k + 1) * k * n_bins, np.int64)
        for index, counts, image_k in results:
            if image_k != k:
                raise ValueError(f'a result was computed with K = {image_k} '
                                 f'classes, the confusion asks for K = {k}')
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
        """Per-class IoU; NaN for a class absent from GT and prediction."""
        inter = np.diagonal(conf, axis1=-2, axis2=-1).astype(np.float64)
        union = conf.sum(-1) + conf.sum(-2) - inter
        with np.errstate(invalid='ignore', divide='ignore'):
            return inter / union

    def seed_curve(self, results: List[ImageHistogram],
                   k: int) -> Tuple[np.ndarray, np.ndarray]:
        """Per-class IoU (T, K + 1) in [0, 1] and mIoU (T,) in percent for
        every threshold."""
        iou = self.class_iou(self.confusions(results, k))
        return iou, np.nanmean(iou, axis=1) * 100

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Scalars only; the table and the curve go to the log."""
        logger = MMLogger.get_current_instance()
        if self.format_only:
            print_log(f'label maps written to {self.output_dir}',
                      logger=logger)
            return OrderedDict()
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise KeyError("CAMSeedMetric needs dataset_meta['classes'] "
                           '(background first)')
        k = len(classes) - 1
        conf = self.confusions(results, k)
        if conf[0].sum() == 0:
            raise ValueError(f'CAMSeedMetric saw no labelled pixel in '
                             f'{len(results)} images (all ignore_index '
                             f'{self.ignore_index}?)')
        iou = self.class_iou(conf)  # (T, K + 1)
        miou = np.nanmean(iou, axis=1) * 100  # as seed_curve, conf reused
        best = int(np.argmax(miou))
        first = first_local_max(miou.tolist())

        with np.errstate(invalid='ignore', divide='ignore'):
            acc = (np.diagonal(conf[best]) / conf[best].sum(axis=1))
        table = PrettyTable()
        table.add_column('Class', list(classes))
        table.add_column('IoU', np.round(iou[best] * 100, 2).tolist())
        table.add_column('Acc', np.round(acc * 100, 2).tolist())
        print_log(f'per class results (seed, background threshold '
                  f'{self.thresholds[best]:.2f}):', logger=logger)
        print_log('\n' + table.get_string(), logger=logger)
        curve = ', '.join(f'{t:g}: {m:.2f}'
                          for t, m in zip(self.thresholds, miou))
        print_log(f'seed mIoU by background threshold: {curve}',
                  logger=logger)
        return OrderedDict(
            mIoU=round(float(miou[best]), 2),
            best_threshold=float(self.thresholds[best]),
            mIoU_first_local_max=round(float(miou[first]), 2),
            threshold_first_local_max=float(self.thresholds[first]))


def sample_name(sample: dict) -> str:
    """The image path of a data sample, for error messages."""
    return str(sample.get('img_path', 'a data sample without img_path'))
