"""Scan a split's files once, in parallel, when the dataset is built.

Bad data would otherwise be found when the loader reaches it: a truncated
image mid-epoch, a mask of the wrong size at the first validation.
:func:`scan_files` checks the files it is given (the dataset decides which
it reads: its images, and its masks where read) and raises ONE error naming
all bad files (up to 20, with the count):

* image: readable, a known format, header decodes (size); a JPEG without
  its end marker / a PNG without IEND in the last bytes is decoded in full
  and rejected only if Pillow cannot decode it (files with trailing bytes
  that decode correctly are fine);
* mask: present, single-channel (an RGB-coloured
  mask is named as such), the size of its image, values 0..K / 255 (after
  the raw-id map of COCO's 90-id layout).

It also derives the image labels from the masks when there is no label
file (the same decode). Threads: decoding and file I/O release the GIL;
on network file systems the latency of many small reads overlaps.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .image_labels import apply_raw_label_map, check_label_map, mask_values

JPEG_SOI, JPEG_EOI = b'\xff\xd8', b'\xff\xd9'
PNG_SIGNATURE, PNG_IEND = b'\x89PNG', b'IEND'
MAX_LISTED = 20


@dataclass
class ScanItem:
    """One sample: the image and the mask to check (None: not read)."""
    img_path: Optional[str]
    seg_path: Optional[str] = None


@dataclass
class ScanResult:
    size: Optional[Tuple[int, int]] = None  # (H, W) of the image
    labels: Optional[np.ndarray] = None  # (K,) derived from the mask
    error: Optional[str] = None


def _tail(path: str, n: int = 64) -> bytes:
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - n))
        return f.read()


def check_image(path: str) -> Tuple[int, int]:
    """(H, W) of a readable image; raises ``OSError`` naming the cause."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise OSError('does not exist') from None
    if size == 0:
        raise OSError('is empty (0 bytes)')
    try:
        with Image.open(path) as img:
            width, height = img.size
            file_format = img.format
            tail = _tail(path)
            complete = not ((file_format == 'JPEG' and JPEG_EOI not in tail)
                            or (file_format == 'PNG'
                                and PNG_IEND not in tail[-16:]))
            if not complete:
                img.load()  # decode before rejecting
    except OSError as exc:
        raise OSError(f'cannot be decoded ({exc})') from None
    except Exception as exc:  # Pillow's decoders raise other types too
        raise OSError(f'cannot be decoded ({type(exc).__name__}: {exc})'
                      ) from None
    return height, width


def read_mask(path: str) -> np.ndarray:
    """A mask as (H, W) uint8; an RGB one is named as such."""
    try:
        with Image.open(path) as img:
            mode = img.mode
            seg = np.asarray(img)
    except FileNotFoundError:
        raise OSError('does not exist') from None
    except Exception as exc:
        raise OSError(f'cannot be decoded ({exc})') from None
    if seg.ndim == 3:
        raise ValueError(
            f'has {seg.shape[2]} channels (mode {mode}): an RGB-coloured '
            'mask? Masks are single-channel class-index maps (0 background, '
            '1..K, 255 ignore); VOC\'s palette PNGs already are, keep them '
            'as palette ("P") images')
    return seg.astype(np.uint8, copy=False)


def _scan_one(item: ScanItem, derive_labels: bool, num_classes: int,
              label_map: Optional[Dict[int, int]]) -> ScanResult:
    result = ScanResult()
    try:
        if item.img_path is not None:
            result.size = check_image(item.img_path)
    except OSError as exc:
        result.error = f'image {item.img_path} {exc}'
        return result
    if item.seg_path is None:
        return result
    try:
        if not os.path.isfile(item.seg_path):
            raise OSError('does not exist')
        seg = read_mask(item.seg_path)
        if result.size is not None and tuple(seg.shape) != result.size:
            raise ValueError(
                f'is {seg.shape[0]} x {seg.shape[1]} (H x W), its image '
                f'{item.img_path} {result.size[0]} x {result.size[1]}')
        if label_map is not None:
            seg = apply_raw_label_map(seg, label_map, item.seg_path)
        check_label_map(seg, num_classes, item.seg_path)
        if derive_labels:
            present = mask_values(seg)
            present = present[(present > 0) & (present != 255)]
            vec = np.zeros(num_classes, np.float32)
            vec[present.astype(int) - 1] = 1
            result.labels = vec
    except (OSError, ValueError) as exc:
        text = str(exc)
        result.error = text if text.startswith('mask ') else \
            f'mask {item.seg_path} {text}'
    return result


def default_workers() -> int:
    return min(32, 4 * (os.cpu_count() or 1))


def scan_files(items: Sequence[ScanItem],
               *,
               num_classes: int,
               derive_labels: bool = False,
               label_map: Optional[Dict[int, int]] = None,
               workers: Optional[int] = None,
               source: str = 'the dataset') -> List[ScanResult]:
    """Scan ``items`` in a thread pool; raise one ``ValueError`` listing
    every bad file (see the module doc). Results keep the input order."""
    workers = workers or default_workers()
    args = (derive_labels, num_classes, label_map)
    if workers <= 1 or len(items) < 64:
        results = [_scan_one(item, *args) for item in items]
    else:
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda it: _scan_one(it, *args), items))
    errors = [r.error for r in results if r.error]
    if errors:
        more = (f'\n  ... and {len(errors) - MAX_LISTED} more'
                if len(errors) > MAX_LISTED else '')
        raise ValueError(
            f'{source}: {len(errors)} of {len(items)} files are bad (found by '
            'the scan at dataset build; scan=False skips it):\n  ' +
            '\n  '.join(errors[:MAX_LISTED]) + more)
    return results
