"""The CAMs IRNet reads, made the reference's way and streamed to files.

CLIMS / IRNet ``make_cam`` (step/make_clims.py): per scale, the network's
maps of the view and of its mirror (flipped back) are summed at the
network's resolution; that map is upsampled (bilinear, align_corners=False)
twice: to the image size rounded up to a multiple of ``stride`` (summed over
scales, then cropped: ``high_res``) and straight to (ceil(H / 4),
ceil(W / 4)) (summed: ``cam_s4``, which is not a downsample of
``high_res``). Only the image-level classes are kept, each divided by its
maximum + 1e-5. Views are made as the segmentor's own CAM inference makes
them (``models/segmentors/cam_inference.py``: PIL-bicubic views of the uint8
image, the view-size cap).
"""
import math
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import ProgressBar
from torch import Tensor

from ..models.segmentors.cam_inference import (CLIMS_MAX_EPS,
                                          CAMInferenceSettings, ViewMaker,
                                          view_sizes)
from .export_loader import ReadFailure, build_export_loader
from .export_writer import BoundedWriter
from .irn_cam_files import (IRNetCAMs, irn_cam_path, strided_size,
                            write_irn_cams)

DEFAULT_WRITER_THREADS = 2


def irn_multiscale_cams(cam_fn: Callable[[Tensor], Tensor],
                        image: Tensor,
                        labels: Tensor,
                        *,
                        scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                        flip: bool = True,
                        stride: int = 16,
                        view_resize: str = 'pil_bicubic',
                        mean: Optional[Tensor] = None,
                        std: Optional[Tensor] = None,
                        max_view_pixels: Optional[int] = None) -> IRNetCAMs:
    """``keys``, ``high_res`` and ``cam_s4`` of one image (module docstring).

    Args:
        cam_fn: (1, 3, h, w) -> (1, K, h', w') non-negative class maps.
        image: (1, 3, H, W), normalised with ``mean`` / ``std``.
        labels: (K,) multi-hot image-level labels (> 0.5: present).
    """
    if image.dim() != 4 or image.shape[0] != 1:
        raise ValueError(f'image must be (1, 3, H, W), got shape '
                         f'{tuple(image.shape)}')
    height, width = image.shape[-2:]
    keys = torch.nonzero(torch.as_tensor(labels) > 0.5)[:, 0]
    padded = (math.ceil(height / stride) * stride,
              math.ceil(width / stride) * stride)
    small = strided_size(height, width)
    if not len(keys):
        return IRNetCAMs(
            keys=keys.numpy(),
            high_res=np.zeros((0, height, width), np.float32),
            cam_s4=np.zeros((0, *small), np.float32))
    views = ViewMaker(image, view_resize=view_resize, mean=mean, std=std)
    keep = keys.to(image.device)
    high_res = cam_s4 = 0
    for size in view_sizes(height, width, scales, max_view_pixels):
        view = views.make(size)
        maps = cam_fn(view)[:, keep].float()
        if flip:
            maps = maps + cam_fn(view.flip(-1))[:, keep].float().flip(-1)
        high_res = high_res + F.interpolate(
            maps, size=padded, mode='bilinear', align_corners=False)
        cam_s4 = cam_s4 + F.interpolate(
            maps, size=small, mode='bilinear', align_corners=False)
    high_res = high_res[0, :, :height, :width]
    cam_s4 = cam_s4[0]
    high_res = high_res / (high_res.flatten(1).amax(1)[:, None, None] +
                           CLIMS_MAX_EPS)
    cam_s4 = cam_s4 / (cam_s4.flatten(1).amax(1)[:, None, None] +
                       CLIMS_MAX_EPS)
    return IRNetCAMs(
        keys=keys.numpy(),
        high_res=high_res.cpu().numpy(),
        cam_s4=cam_s4.cpu().numpy())


def irn_cam_pass(model,
                 dataset,
                 indices: Sequence[int],
                 *,
                 out_dir: str,
                 progress: bool = True,
                 workers: int = 0,
                 writer_threads: Optional[int] = None,
                 seed: int = 0) -> None:
    """Write ``{out_dir}/{image id}.npz`` for ``dataset[i]``, i in indices.

    ``model`` is a CAM segmentor (``cam_net``, ``data_preprocessor``,
    ``test_cfg`` scales / flip / stride / views, as ``SemPLeSSegmentor``);
    the image-level labels are each sample's ``img_labels``. Streams like
    ``export.cam_pass``: ``workers`` loader processes read ahead, the model
    runs here, writer threads write (default: 0 with 0 workers, else 2).
    """
    if not len(indices):
        return
    settings = CAMInferenceSettings.from_test_cfg(model.test_cfg)
    mean, std = model.pixel_statistics()
    if writer_threads is None:
        writer_threads = DEFAULT_WRITER_THREADS if workers else 0
    loader = build_export_loader(dataset, indices, workers=workers,
                                 seed=seed)
    bar = ProgressBar(len(indices)) if progress else None
    with BoundedWriter(writer_threads) as writer:
        for index, batch in zip(indices, loader):
            if isinstance(batch, ReadFailure):
                raise batch.error()
            path = dataset.get_data_info(index)['img_path']
            try:
                data = model.data_preprocessor(batch, False)
                labels = data['data_samples'][0].metainfo['img_labels']
                with torch.no_grad():
                    cams = irn_multiscale_cams(
                        lambda x: model.cam_net(x)['cams'],
                        data['inputs'],
                        labels,
                        scales=settings.scales,
                        flip=settings.flip,
                        stride=settings.stride,
                        view_resize=settings.view_resize,
                        mean=mean.to(data['inputs'].device),
                        std=std.to(data['inputs'].device),
                        max_view_pixels=settings.max_view_pixels)
            except Exception as exc:
                raise RuntimeError(f'CAM inference failed on {path}: '
                                   f'{type(exc).__name__}: {exc}') from exc
            writer.submit(write_irn_cams, cams, irn_cam_path(out_dir, path))
            if bar is not None:
                bar.update()
