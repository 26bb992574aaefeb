"""Seed mIoU of CAMs over every background threshold in one pass."""
import math
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from PIL import Image
from prettytable import PrettyTable

from mmseg.registry import METRICS
from ..models.segmentors.cam_inference import cams_to_label_map
from ..utils.atomic_files import write_json_atomically
from ..utils.output_dirs import prepare_output_dirs

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


THRESHOLD_RULES = ('greedy', 'max')


def select_threshold(miou_curve: Sequence[float], rule: str) -> int:
    """Index of the chosen threshold on an ascending sweep's mIoU curve.

    ``'greedy'`` (the reference, hustvl/WeakTr ``evaluation.py``): walk the
    thresholds upward and stop at the first one whose mIoU does not improve
    on the previous one (an equal value stops the walk too); the previous
    one is kept. ``'max'``: the global maximum (first one of ties; NaNs
    skipped).

    The reference starts its walk from mIoU 0.0 and reports threshold 0.0
    when the first value is not above 0; here the first threshold is kept.
    """
    values = np.asarray(miou_curve, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError('miou_curve must be a non-empty 1-D sequence, got '
                         f'shape {values.shape}')
    if rule == 'max':
        if np.isnan(values).all():
            raise ValueError('miou_curve is all NaN: no threshold to select')
        return int(np.nanargmax(values))
    if rule != 'greedy':
        raise ValueError(f'threshold_rule must be one of {THRESHOLD_RULES}, '
                         f'got {rule!r}')
    index = 0
    while index + 1 < values.size and values[index + 1] > values[index]:
        index += 1
    return index


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

    Returns (no prefix by default): ``mIoU`` (percent) and ``threshold`` of
    the ``threshold_rule``, and always ``mIoU_greedy`` / ``threshold_greedy``
    and ``mIoU_max`` / ``threshold_max``. Logs the per-class IoU / Acc table
    at the selected threshold (mmseg's format) and the whole
    mIoU-by-threshold curve as text. mIoU is the nanmean over the K + 1
    classes, background included; a class absent from both GT and
    prediction is NaN and skipped (e.g. COCO's ten unused ids in a 90-id
    evaluation).

    Args:
        thresholds: background thresholds, ascending (default 0.40 ... 0.59).
        threshold_range: ``(start, stop, step)`` instead of ``thresholds``;
            ``stop`` is exclusive, e.g. ``(0.40, 0.60, 0.01)``.
        threshold_rule: ``'greedy'`` (default, the reference) or ``'max'``;
            see :func:`select_threshold`.
        ignore_index: GT value left out.
        output_dir: if set (``tools/test.py --out DIR``), each sample's seed
            label map is written there as ``{image name}.png`` (uint8), and
            ``label_maps.json`` says at which background threshold (and,
            with GT, the files' own mIoU next to the selected threshold's).
            Every rank creates it when the metric is built (all ranks build
            it together: ``prepare_output_dirs``).
        output_threshold: the background threshold of the written label
            maps. None (default): the model's, i.e. its ``pred_sem_seg``
            (``model.test_cfg.bg_threshold`` for SemPLeS models).
        keep_results: accepted for ``tools/test.py --out``; the label maps
            are written whenever ``output_dir`` is set.
        format_only: only write the label maps, compute no metric (for
            splits without masks).
    """

    default_prefix: Optional[str] = None
    summary_file = 'label_maps.json'

    def __init__(self,
                 *,
                 thresholds: Optional[Sequence[float]] = None,
                 threshold_range: Optional[Sequence[float]] = None,
                 threshold_rule: str = 'greedy',
                 ignore_index: int = 255,
                 output_dir: Optional[str] = None,
                 output_threshold: Optional[float] = None,
                 keep_results: bool = False,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and output_dir is None:
            raise ValueError('format_only needs an output_dir')
        if threshold_rule not in THRESHOLD_RULES:
            raise ValueError(f'threshold_rule must be one of '
                             f'{THRESHOLD_RULES}, got {threshold_rule!r}')
        if output_threshold is not None:
            if output_dir is None:
                raise ValueError('output_threshold needs an output_dir')
            output_threshold = float(output_threshold)
        self.threshold_rule = threshold_rule
        self.output_dir = output_dir
        self.output_threshold = output_threshold
        self.format_only = format_only
        self._file_threshold: Optional[float] = None
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
        if output_dir is not None:  # every rank writes its samples' maps
            prepare_output_dirs(output_dir)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Reduce each sample to its sparse histogram (kept in ``results``)."""
        for sample in data_samples:
            label = None
            if self.output_dir is not None:
                label = self.write_label_map(sample)
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
                result = self.image_histogram(cams, gt)
                if label is not None:
                    result = result + self.label_map_counts(label, gt, cams)
            except ValueError as err:
                raise ValueError(f'{sample_name(sample)}: {err}') from None
            self.results.append(result)

    def sample_label_map(self, sample: dict) -> np.ndarray:
        """(H, W) seed label map to write: ``pred_sem_seg``, or ``pred_cams``
        thresholded at ``output_threshold``. Records the threshold used."""
        if self.output_threshold is not None:
            if 'pred_cams' not in sample:
                raise KeyError(f'output_threshold needs pred_cams; '
                               f'{sample_name(sample)} has {sorted(sample)}')
            cams = sample['pred_cams']['data'].float()[None]
            self._note_file_threshold(self.output_threshold, sample)
            return cams_to_label_map(cams, self.output_threshold)[0].cpu(
            ).numpy()
        if 'seg_logits' in sample:  # SemPLeS: channel 0 is the threshold
            self._note_file_threshold(
                round(float(sample['seg_logits']['data'][0].flatten()[0]), 6),
                sample)
        return sample['pred_sem_seg']['data'].squeeze(0).cpu().numpy()

    def _note_file_threshold(self, value: float, sample: dict) -> None:
        if self._file_threshold is None:
            self._file_threshold = value
        elif value != self._file_threshold:
            raise ValueError(
                f'{sample_name(sample)} was labelled at background threshold '
                f'{value}, earlier images at {self._file_threshold}')

    def write_label_map(self, sample: dict) -> np.ndarray:
        """The label map as ``{output_dir}/{image name}.png`` (uint8)."""
        name = osp.splitext(osp.basename(sample['img_path']))[0]
        label = self.sample_label_map(sample)
        Image.fromarray(label.astype(np.uint8)).save(
            osp.join(self.output_dir, name + '.png'))
        return label

    def label_map_counts(self, label: np.ndarray, gt: np.ndarray,
                         cams: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Sparse (GT, written label) counts: the written files' confusion."""
        k = cams.shape[0]
        if label.shape != gt.shape:
            raise ValueError(f'label map {label.shape} and gt_sem_seg '
                             f'{gt.shape} differ in size')
        valid = gt != self.ignore_index
        flat = gt[valid].astype(np.int64) * (k + 1) + label[valid].astype(
            np.int64)
        index, counts = np.unique(flat, return_counts=True)
        return index, counts.astype(np.int64)

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

    def confusions(self, results: List[tuple], k: int) -> np.ndarray:
        """(T, K + 1, K + 1) confusions (rows GT, columns prediction)."""
        n_bins = len(self.thresholds) + 1
        hist = np.zeros((k + 1) * k * n_bins, np.int64)
        for index, counts, image_k in (r[:3] for r in results):
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

    def seed_curve(self, results: List[tuple],
                   k: int) -> Tuple[np.ndarray, np.ndarray]:
        """Per-class IoU (T, K + 1) in [0, 1] and mIoU (T,) in percent for
        every threshold."""
        iou = self.class_iou(self.confusions(results, k))
        return iou, np.nanmean(iou, axis=1) * 100

    def label_maps_miou(self, results: List[tuple],
                        k: int) -> Optional[float]:
        """mIoU (percent) of the written label maps, if they were scored."""
        entries = [r[3:] for r in results if len(r) == 5]
        if not entries:
            return None
        conf = np.zeros((k + 1) * (k + 1), np.int64)
        for index, counts in entries:
            np.add.at(conf, index, counts)
        iou = self.class_iou(conf.reshape(k + 1, k + 1))
        return float(np.nanmean(iou) * 100)

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Scalars only; the table and the curve go to the log."""
        logger = MMLogger.get_current_instance()
        if self.format_only:
            self.write_summary(None, None, None, logger)
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
        chosen = {r: select_threshold(miou, r) for r in THRESHOLD_RULES}
        picked = chosen[self.threshold_rule]

        with np.errstate(invalid='ignore', divide='ignore'):
            acc = (np.diagonal(conf[picked]) / conf[picked].sum(axis=1))
        table = PrettyTable()
        table.add_column('Class', list(classes))
        table.add_column('IoU', np.round(iou[picked] * 100, 2).tolist())
        table.add_column('Acc', np.round(acc * 100, 2).tolist())
        print_log(f'per class results (seed, background threshold '
                  f'{self.thresholds[picked]:.2f}, {self.threshold_rule} '
                  'rule):', logger=logger)
        print_log('\n' + table.get_string(), logger=logger)
        curve = ', '.join(f'{t:g}: {m:.2f}'
                          for t, m in zip(self.thresholds, miou))
        print_log(f'seed mIoU by background threshold: {curve}',
                  logger=logger)
        if self.output_dir is not None:
            self.write_summary(
                self.label_maps_miou(results, k),
                float(self.thresholds[picked]), float(miou[picked]), logger)
        out = OrderedDict(
            mIoU=round(float(miou[picked]), 2),
            threshold=float(self.thresholds[picked]))
        for name, index in chosen.items():
            out[f'mIoU_{name}'] = round(float(miou[index]), 2)
            out[f'threshold_{name}'] = float(self.thresholds[index])
        return out

    def write_summary(self, files_miou: Optional[float],
                      selected: Optional[float],
                      selected_miou: Optional[float], logger) -> None:
        """Log and write ``label_maps.json``: the threshold of the files."""
        if self.output_threshold is not None:
            source = 'test_evaluator.output_threshold'
        elif self._file_threshold is not None:
            source = 'model.test_cfg.bg_threshold'
        else:
            source = "the model's pred_sem_seg"
        summary = dict(
            background_threshold=self._file_threshold,
            threshold_source=source,
            label_maps_mIoU=None if files_miou is None else round(
                files_miou, 2),
            threshold_rule=None if selected is None else self.threshold_rule,
            selected_threshold=selected,
            selected_mIoU=None if selected_miou is None else round(
                selected_miou, 2))
        text = (f'label maps in {self.output_dir} use background threshold '
                f'{self._file_threshold} ({source})')
        if files_miou is not None:
            text += f': their mIoU {files_miou:.2f}'
        if selected is not None:
            text += (f'; the {self.threshold_rule} rule of the sweep picks '
                     f'{selected:g} (mIoU {selected_miou:.2f}); write the '
                     'maps at another threshold with --cfg-options '
                     'test_evaluator.output_threshold=T')
        print_log(text, logger=logger)
        write_json_atomically(summary,
                              osp.join(self.output_dir, self.summary_file),
                              indent=2)


def sample_name(sample: dict) -> str:
    """The image path of a data sample, for error messages."""
    return str(sample.get('img_path', 'a data sample without img_path'))
