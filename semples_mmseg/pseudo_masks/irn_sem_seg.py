"""Semantic pseudo masks by the random walk (IRNet make_sem_seg_labels).

Per image: the boundary map of the trained :class:`IRNetBoundaryNet` (image
and mirror), the walk of the stride-4 CAMs (:func:`random_walk`), the walked
maps upsampled x4 (bilinear, align_corners=False) and cropped to the image,
divided by their maximum over all classes and pixels (one global maximum,
not one per class), a constant background plane ``bg_threshold`` before
them, argmax (ties to the background), optionally a dense label CRF (the
camera-ready CLIMS: 1 iteration), the image's class ids. An image without
classes is background.
"""
from dataclasses import asdict, dataclass
from functools import partial
from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import ProgressBar
from torch import Tensor
from torch.utils.data import Dataset

from .export import mask_path, write_png_atomically
from .export_loader import ReadFailure, build_export_loader
from .export_writer import BoundedWriter
from .ir_labels import label_crf
from .irn_cam_files import irn_cam_path, read_irn_cams
from .random_walk import random_walk

DEFAULT_WRITER_THREADS = 2
STRIDE = 4


@dataclass(frozen=True)
class WalkSettings:
    """The walk's constants: CLIMS's root pipeline by default (IRNet's
    own background is 0.25; the camera-ready CLIMS uses 0.25 and a CRF of
    1 iteration)."""
    radius: int = 5
    beta: float = 10
    exp_times: int = 8
    bg_threshold: float = 0.2
    crf_iterations: int = 0

    def asdict(self) -> dict:
        return asdict(self)


def walk_label_map(walked: Tensor, size: Tuple[int, int], *,
                   bg_threshold: float) -> Tensor:
    """(K', h, w) walked maps -> (H, W) long: 0 background, k + 1 for the
    k-th map (module docstring)."""
    height, width = size
    if not len(walked):
        return torch.zeros(size, dtype=torch.long, device=walked.device)
    up = F.interpolate(
        walked[None], scale_factor=STRIDE, mode='bilinear',
        align_corners=False)[0, :, :height, :width]
    peak = up.max()
    up = up / peak if peak > 0 else torch.zeros_like(up)
    plane = up.new_full((1, height, width), bg_threshold)
    return torch.cat([plane, up]).argmax(dim=0)


def write_walk_mask(compact: np.ndarray, keys: np.ndarray, img_path: str,
                    *, out_dir: str, crf_iterations: int) -> None:
    """The (H, W) map of 0 / 1..K' (optionally CRF-refined with the image)
    as class ids, written atomically (numpy and Pillow only: see
    ``export.cam_pass`` on keeping torch off the writer threads)."""
    if crf_iterations and len(keys):
        image = mmcv.imread(img_path, channel_order='rgb', backend='pillow')
        compact = label_crf(image, compact, num_labels=len(keys) + 1,
                            iterations=crf_iterations)
    label_of = np.concatenate([[0], np.asarray(keys) + 1])
    write_png_atomically(label_of[compact].astype(np.uint8),
                         mask_path(out_dir, img_path))


class ImagesWithCAMs(Dataset):
    """``dataset[i]`` with ``keys`` and ``cam_s4`` of its CAM file."""

    def __init__(self, dataset, cam_dir: str) -> None:
        self.dataset, self.cam_dir = dataset, cam_dir

    def __len__(self) -> int:
        return len(self.dataset)

    def get_data_info(self, index: int) -> dict:
        return self.dataset.get_data_info(index)

    def __getitem__(self, index: int) -> dict:
        path = self.get_data_info(index)['img_path']
        cams = read_irn_cams(irn_cam_path(self.cam_dir, path), high_res=False)
        return dict(sample=self.dataset[index], keys=cams.keys,
                    cam_s4=cams.cam_s4)


def sem_seg_pass(model,
                 dataset,
                 indices: Sequence[int],
                 *,
                 cam_dir: str,
                 out_dir: str,
                 settings: WalkSettings = WalkSettings(),
                 progress: bool = True,
                 workers: int = 0,
                 writer_threads: Optional[int] = None,
                 seed: int = 0) -> None:
    """Write the walk's masks of ``dataset[i]``, i in ``indices``.

    ``model`` is an :class:`IRNetBoundaryNet`. Streams like
    ``export.cam_pass``: ``workers`` loader processes read images and CAM
    files ahead, the boundary map and the walk run here, writer threads
    (default: 0 with 0 workers, else 2) refine and write.
    """
    if not len(indices):
        return
    if writer_threads is None:
        writer_threads = DEFAULT_WRITER_THREADS if workers else 0
    loader = build_export_loader(
        ImagesWithCAMs(dataset, cam_dir), indices, workers=workers,
        seed=seed)
    write = partial(write_walk_mask, out_dir=out_dir,
                    crf_iterations=settings.crf_iterations)
    bar = ProgressBar(len(indices)) if progress else None
    with BoundedWriter(writer_threads) as writer:
        for index, batch in zip(indices, loader):
            if isinstance(batch, ReadFailure):
                raise batch.error()
            path = dataset.get_data_info(index)['img_path']
            try:
                with torch.no_grad():
                    data = model.data_preprocessor(batch['sample'], False)
                    inputs = data['inputs']
                    boundary = model.boundary_map(inputs)[0]
                    cams = torch.from_numpy(batch['cam_s4'][0]).to(boundary)
                    walked = random_walk(
                        cams, boundary, radius=settings.radius,
                        beta=settings.beta, exp_times=settings.exp_times)
                    compact = walk_label_map(
                        walked, inputs.shape[-2:],
                        bg_threshold=settings.bg_threshold)
            except Exception as exc:
                raise RuntimeError(f'random walk failed on {path}: '
                                   f'{type(exc).__name__}: {exc}') from exc
            writer.submit(write, compact.cpu().numpy(), batch['keys'][0],
                          path)
            if bar is not None:
                bar.update()
