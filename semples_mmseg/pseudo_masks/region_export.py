"""Region masks (SAM's or superpixels) for a list of images, streamed.

:func:`region_pass` is :func:`.export.cam_pass` for region masks: DataLoader
workers decode the images ahead (``export_loader``), ``make_regions`` runs
in this process, writer threads compress and write ``{out_dir}/{id}.npz``
(``region_masks_io``) with a bounded number of images in flight, so memory
stays flat however long the list.
"""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import mmcv
import numpy as np
from mmengine.utils import ProgressBar
from torch.utils.data import Dataset

from ..utils.atomic_files import DiskFullError
from .export_loader import ReadFailure, build_export_loader
from .export_writer import BoundedWriter
from .region_masks_io import (RegionMasks, region_file_complete,
                              save_region_masks)

DEFAULT_WRITER_THREADS = 2


class RGBImages(Dataset):
    """``{'img': (H, W, 3) uint8 RGB, 'img_path': path}`` per path."""

    def __init__(self, img_paths: Sequence[str]) -> None:
        self.img_paths = list(img_paths)

    def __len__(self) -> int:
        return len(self.img_paths)

    def __getitem__(self, index: int) -> Dict:
        path = self.img_paths[index]
        return dict(img=mmcv.imread(path, channel_order='rgb'),
                    img_path=path)

    def get_data_info(self, index: int) -> Dict:
        return dict(img_path=self.img_paths[index])


def region_path(out_dir: str, img_path: str) -> str:
    return osp.join(out_dir,
                    osp.splitext(osp.basename(img_path))[0] + '.npz')


def pending_region_indices(img_paths: Sequence[str],
                           out_dir: str) -> List[int]:
    """Indices of images without a complete region file in ``out_dir``."""
    return [i for i, path in enumerate(img_paths)
            if not region_file_complete(region_path(out_dir, path))]


def write_regions(regions: RegionMasks, path: str) -> None:
    """:func:`save_region_masks`; any failure names ``path``."""
    try:
        save_region_masks(regions, path)
    except DiskFullError:
        raise  # names the file already
    except Exception as exc:
        raise RuntimeError(f'writing {path} failed: '
                           f'{type(exc).__name__}: {exc}') from exc


def region_pass(make_regions: Callable[[np.ndarray], RegionMasks],
                img_paths: Sequence[str],
                indices: Sequence[int],
                *,
                out_dir: str,
                workers: int = 0,
                writer_threads: Optional[int] = None,
                max_pending_writes: Optional[int] = None,
                progress: bool = True,
                seed: int = 0) -> Dict[str, int]:
    """Write ``{out_dir}/{id}.npz`` for ``img_paths[i]``, ``i in indices``.

    Args:
        make_regions: (H, W, 3) uint8 RGB image -> :class:`RegionMasks`.
        workers: DataLoader workers decoding images ahead (0: serial).
        writer_threads: default 0 with 0 workers (synchronous), else 2.

    Returns:
        ``images``, ``masks`` (total) and ``images_without_masks`` counts.
    """
    counts = dict(images=0, masks=0, images_without_masks=0)
    if not len(indices):
        return counts
    if writer_threads is None:
        writer_threads = DEFAULT_WRITER_THREADS if workers else 0
    loader = build_export_loader(RGBImages(img_paths), indices,
                                 workers=workers, seed=seed)
    bar = ProgressBar(len(indices)) if progress else None
    with BoundedWriter(writer_threads, max_pending_writes) as writer:
        for batch in loader:
            if isinstance(batch, ReadFailure):
                raise batch.error()
            image, path = batch['img'][0], batch['img_path'][0]
            try:
                regions = make_regions(image)
            except Exception as exc:
                raise RuntimeError(f'region masks failed on {path}: '
                                   f'{type(exc).__name__}: {exc}') from exc
            writer.submit(write_regions, regions, region_path(out_dir, path))
            counts['images'] += 1
            counts['masks'] += len(regions)
            counts['images_without_masks'] += not len(regions)
            if bar is not None:
                bar.update()
    return counts
