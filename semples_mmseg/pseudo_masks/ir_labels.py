"""IR labels: confident foreground, confident background, the rest ignored.

IRNet's ``cam_to_ir_label`` (CLIMS step/cam_to_ir_label.py), from the
image-size CAMs of the image's classes:

1. foreground pass: a constant background plane ``fg_threshold`` (CLIMS
   0.30) before the class maps, argmax, a dense CRF on that label map;
2. background pass: the same with ``bg_threshold`` (CLIMS 0.10, IRNet 0.05);
3. a class where the foreground pass says so, 0 where both passes say
   background, 255 (uncertain) elsewhere.

The CRF is IRNet's label CRF: every class of the image plus the background
takes part, also one that lost all its pixels at the threshold (the
unary gives it (1 - 0.7) / (n - 1) everywhere), Gaussian (3, 3) and
bilateral (50, 5, 10), 10 mean-field iterations.

:func:`ir_label_pass` writes ``{out_dir}/{image id}.png`` for a list of
images; the loader's worker processes do the CRFs (the costly part).
"""
from functools import partial
from typing import Callable, Optional, Sequence

import mmcv
import numpy as np
from mmengine.utils import ProgressBar
from torch.utils.data import Dataset

from .export import mask_path, write_png_atomically
from .export_loader import ReadFailure, build_export_loader
from .irn_cam_files import irn_cam_path, read_irn_cams

IGNORE = 255
#: constants of IRNet's label CRF (misc/imutils.py crf_inference_label)
GT_PROB = 0.7
GAUSSIAN = dict(sxy=3, compat=3)
BILATERAL = dict(sxy=50, srgb=5, compat=10)


def label_crf(image: np.ndarray,
              labels: np.ndarray,
              *,
              num_labels: int,
              iterations: int = 10) -> np.ndarray:
    """Refine an (H, W) map of labels 0..num_labels-1 with the (H, W, 3)
    RGB uint8 image; every label takes part, present or not."""
    if num_labels < 2:  # nothing to choose between
        return labels.copy()
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_labels
    except ImportError as exc:
        raise ImportError('the label CRF needs pydensecrf2: pip install '
                          'pydensecrf2 (or pip install -e ".[crf]")') from exc
    height, width = labels.shape
    crf = dcrf.DenseCRF2D(width, height, num_labels)
    crf.setUnaryEnergy(
        unary_from_labels(labels, num_labels, gt_prob=GT_PROB,
                          zero_unsure=False))
    crf.addPairwiseGaussian(**GAUSSIAN)
    crf.addPairwiseBilateral(
        rgbim=np.ascontiguousarray(image), **BILATERAL)
    q = np.array(crf.inference(iterations)).reshape(num_labels, height, width)
    return q.argmax(axis=0)


def threshold_argmax(cams: np.ndarray, background: float) -> np.ndarray:
    """(K', H, W) -> (H, W): 0 where no map beats ``background`` (ties go
    to the background), else 1 + the index of the largest map."""
    plane = np.full((1, *cams.shape[1:]), background, cams.dtype)
    return np.concatenate([plane, cams]).argmax(axis=0)


def ir_label_map(image: np.ndarray,
                 high_res: np.ndarray,
                 keys: np.ndarray,
                 *,
                 fg_threshold: float = 0.30,
                 bg_threshold: float = 0.10,
                 crf: Optional[Callable] = label_crf) -> np.ndarray:
    """(H, W) uint8 IR labels: 0 background, k + 1 class k, 255 uncertain.

    Args:
        image: (H, W, 3) RGB uint8.
        high_res: (K', H, W) CAMs of the image's classes ``keys`` (K',).
        crf: ``crf(image, labels, num_labels=K' + 1)``; None skips it.
    """
    if high_res.shape[1:] != image.shape[:2] or len(high_res) != len(keys):
        raise ValueError(f'CAMs {high_res.shape} and keys {len(keys)} do not '
                         f'fit an image of {image.shape[:2]}')
    label_of = np.concatenate([[0], np.asarray(keys) + 1])

    def confident(threshold: float) -> np.ndarray:
        labels = threshold_argmax(high_res, threshold)
        if crf is not None:
            labels = crf(image, labels, num_labels=len(label_of))
        return label_of[labels]

    fg, bg = confident(fg_threshold), confident(bg_threshold)
    out = np.where(fg == 0, IGNORE, fg)
    out[(fg == 0) & (bg == 0)] = 0
    return out.astype(np.uint8)


class IRLabelJobs(Dataset):
    """``jobs[i]``: the IR label map of ``dataset``'s image i, from its CAM
    file in ``cam_dir``, by ``rule(image, high_res, keys)``."""

    def __init__(self, dataset, cam_dir: str, rule: Callable) -> None:
        self.dataset, self.cam_dir, self.rule = dataset, cam_dir, rule

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, index: int) -> dict:
        return self.dataset.get_data_info(index)

    def __getitem__(self, index: int) -> np.ndarray:
        path = self.get_data_info(index)['img_path']
        image = mmcv.imread(path, channel_order='rgb', backend='pillow')
        cams = read_irn_cams(irn_cam_path(self.cam_dir, path))
        return self.rule(image, cams.high_res, cams.keys)


def ir_label_pass(dataset,
                  indices: Sequence[int],
                  *,
                  cam_dir: str,
                  out_dir: str,
                  fg_threshold: float = 0.30,
                  bg_threshold: float = 0.10,
                  crf_iterations: int = 10,
                  workers: int = 0,
                  progress: bool = True) -> None:
    """Write the IR labels of ``dataset[i]``, i in ``indices``, as PNGs.

    ``workers`` loader processes compute (image, CAM file, two CRFs), this
    process writes each PNG atomically, in order; 0 computes here. A
    failure names the image; the images before it are written.
    """
    crf = partial(label_crf, iterations=crf_iterations) \
        if crf_iterations else None
    rule = partial(ir_label_map, fg_threshold=fg_threshold,
                   bg_threshold=bg_threshold, crf=crf)
    loader = build_export_loader(
        IRLabelJobs(dataset, cam_dir, rule), indices, workers=workers)
    bar = ProgressBar(len(indices)) if progress and len(indices) else None
    for index, batch in zip(indices, loader):
        if isinstance(batch, ReadFailure):
            raise batch.error()
        path = dataset.get_data_info(index)['img_path']
        write_png_atomically(batch[0], mask_path(out_dir, path))
        if bar is not None:
            bar.update()
