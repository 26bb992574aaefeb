"""SAM-based seeds for a dataset: region files + CAM files -> label PNGs.

:func:`seed_pass` streams like :func:`.export.cam_pass`: DataLoader workers
read each image's region file (``region_masks_io``) and CAM file ahead,
:func:`~.sam_seeding.sam_seeds` runs in this process, writer threads write
``{out_dir}/{id}.png`` (uint8: 0 background, else the class's label value).
:func:`seed_input_problems` checks every input before the first seed.

CAM files, one per image, any of:

* ``{id}.npy`` (K, H, W): all K classes, as ``tools/make_pseudo_masks.py
  --save-cams`` writes them; the image's labelled channels are used;
* ``{id}.npz`` with ``cam`` (P, h, w) and ``fg_cls`` (P,) 0-based classes
  (FMA-WSSS's format);
* ``{id}.npy`` holding a pickled dict {0-based class: (H, W) CAM} (WeakTr's
  and SemPLeS's format; a pickle: read only files you trust).

CAMs of another size are resized bilinearly to the image, as FMA does.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import ProgressBar
from PIL import Image
from torch.utils.data import Dataset

from .export import mask_path, write_png_atomically
from .export_loader import ReadFailure, build_export_loader
from .export_writer import BoundedWriter
from .region_masks_io import (load_region_masks, region_file_complete,
                              region_file_image_size)
from .sam_seeding import sam_seeds

DEFAULT_WRITER_THREADS = 2


@dataclass
class SeedInput:
    """The files of one image and its (K,) multi-hot image-level labels."""
    img_path: str
    region_path: str
    cam_path: str
    labels: np.ndarray


def cam_file(cam_dir: str, img_path: str) -> str:
    """``{cam_dir}/{id}.npy``, else ``{id}.npz`` if only that exists."""
    stem = osp.join(cam_dir, osp.splitext(osp.basename(img_path))[0])
    return stem + '.npz' if osp.isfile(stem + '.npz') \
        and not osp.isfile(stem + '.npy') else stem + '.npy'


def class_mismatch(path: str, found: Sequence[int],
                   labels: np.ndarray) -> str:
    return (f'{path}: CAM classes {sorted(int(c) for c in found)} are not '
            f"the image's labels {np.flatnonzero(labels).tolist()} (0-based)")


def _check_classes(path: str, found: Sequence[int],
                   labels: np.ndarray) -> None:
    if sorted(int(c) for c in found) != np.flatnonzero(labels).tolist():
        raise ValueError(class_mismatch(path, found, labels))


def read_cams(path: str, labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The CAMs of an image's labelled classes from any supported file.

    Returns:
        (P, h, w) float32 CAMs and (P,) int64 label values (class + 1).
    """
    labels = np.asarray(labels)
    if path.endswith('.npz'):
        with np.load(path) as data:
            cams, classes = data['cam'], data['fg_cls'].astype(np.int64)
        _check_classes(path, classes, labels)
        return cams.astype(np.float32), classes + 1
    try:
        array = np.load(path)
    except ValueError:  # a pickled object: the dict format
        array = np.load(path, allow_pickle=True)
    if array.dtype == object:
        table = array.item()
        classes = np.asarray(sorted(table), np.int64)
        _check_classes(path, classes, labels)
        cams = np.stack([table[c] for c in classes]) if len(classes) else \
            np.zeros((0, 1, 1))
        return cams.astype(np.float32), classes + 1
    if array.ndim != 3 or len(array) != len(labels):
        raise ValueError(f'{path}: CAMs of shape {array.shape}, expected '
                         f'({len(labels)}, H, W) for the dataset classes')
    present = np.flatnonzero(labels)
    return array[present].astype(np.float32), present.astype(np.int64) + 1


def image_size(path: str) -> Tuple[int, int]:
    """(H, W) of an image file, from its header."""
    with Image.open(path) as img:
        return img.height, img.width


def seed_input_problems(items: Sequence[SeedInput]) -> List[str]:
    """One line per input that would stop :func:`seed_pass`: a missing or
    incomplete file, a region file of another image size, a CAM file for
    other classes or of another class count. Cheap: headers only."""
    problems = []
    for item in items:
        if not region_file_complete(item.region_path):
            problems.append(f'{item.region_path}: missing or incomplete')
            continue
        if not osp.isfile(item.cam_path):
            problems.append(f'{item.cam_path}: missing')
            continue
        size = image_size(item.img_path)
        regions_size = region_file_image_size(item.region_path)
        if regions_size != size:
            problems.append(f'{item.region_path}: masks of size '
                            f'{regions_size}, its image {item.img_path} is '
                            f'{size}')
        if item.cam_path.endswith('.npz'):
            with np.load(item.cam_path) as data:
                found = sorted(int(c) for c in data['fg_cls'])
            if found != np.flatnonzero(item.labels).tolist():
                problems.append(class_mismatch(item.cam_path, found,
                                               item.labels))
            continue
        try:
            shape = np.load(item.cam_path, mmap_mode='r').shape
        except ValueError:  # a pickled dict: its classes are checked on read
            continue
        if len(shape) != 3 or shape[0] != len(item.labels):
            problems.append(f'{item.cam_path}: CAMs of shape {shape}, '
                            f'expected ({len(item.labels)}, H, W) for the '
                            'dataset classes')
    return problems


class SeedInputs(Dataset):
    """Per item: the region masks and the CAMs at image size."""

    def __init__(self, items: Sequence[SeedInput]) -> None:
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def get_data_info(self, index: int) -> Dict:
        return dict(img_path=self.items[index].img_path)

    def __getitem__(self, index: int) -> Dict:
        item = self.items[index]
        regions = load_region_masks(item.region_path)
        cams, classes = read_cams(item.cam_path, item.labels)
        h, w = regions.image_size
        if cams.shape[1:] != (h, w) and len(cams):
            cams = F.interpolate(torch.from_numpy(cams)[None], (h, w),
                                 mode='bilinear',
                                 align_corners=False)[0].numpy()
        return dict(img_path=item.img_path, masks=regions.masks,
                    levels=regions.levels, cams=cams, classes=classes)


def seed_pass(items: Sequence[SeedInput],
              *,
              out_dir: str,
              gamma: float,
              workers: int = 0,
              writer_threads: Optional[int] = None,
              max_pending_writes: Optional[int] = None,
              progress: bool = True,
              seed: int = 0) -> Dict[str, int]:
    """Write ``{out_dir}/{id}.png`` seeds for ``items``.

    Returns:
        ``images`` and ``images_without_masks`` (all background) counts.
    """
    counts = dict(images=0, images_without_masks=0)
    if not len(items):
        return counts
    if writer_threads is None:
        writer_threads = DEFAULT_WRITER_THREADS if workers else 0
    loader = build_export_loader(SeedInputs(items), range(len(items)),
                                 workers=workers, seed=seed)
    bar = ProgressBar(len(items)) if progress else None
    with BoundedWriter(writer_threads, max_pending_writes) as writer:
        for batch in loader:
            if isinstance(batch, ReadFailure):
                raise batch.error()
            sample = {key: value[0] for key, value in batch.items()}
            label = sam_seeds(sample['cams'], sample['classes'],
                              sample['masks'], sample['levels'],
                              gamma=gamma)
            writer.submit(write_png_atomically, label.astype(np.uint8),
                          mask_path(out_dir, sample['img_path']))
            counts['images'] += 1
            counts['images_without_masks'] += not len(sample['masks'])
            if bar is not None:
                bar.update()
    return counts
