"""Loading that fails loudly on bad files instead of skipping them.

Test pipelines use mmcv's plain ``LoadImageFromFile``: their files are
checked once by the dataset scan (``datasets/scan.py``). Training pipelines
keep ``LoadCheckedImageFromFile`` (a file changed or damaged after the scan,
mid-run, is still named).
"""
import io

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from PIL import Image

from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from ..image_labels import apply_raw_label_map, check_label_map

JPEG_EOI = b'\xff\xd9'
PNG_IEND = b'IEND'


def check_complete(data: bytes, path: str) -> None:
    """Raise on an empty or truncated JPEG / PNG (decoders often pass them).

    A file without its end marker in the last bytes (a JPEG / PNG followed
    by trailing bytes, as some cameras and tools write) is decoded in full
    with Pillow and rejected only if that fails.
    """
    if not data:
        raise OSError(f'image {path} is empty')
    marker = None
    if data[:2] == b'\xff\xd8' and JPEG_EOI not in data[-64:]:
        marker = 'no JPEG end marker'
    if data[:4] == b'\x89PNG' and PNG_IEND not in data[-16:]:
        marker = 'no PNG IEND chunk'
    if marker is None:
        return
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except Exception as exc:
        raise OSError(f'image {path} is truncated ({marker}, and Pillow '
                      f'cannot decode it: {exc})') from None


@TRANSFORMS.register_module()
class LoadCheckedImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` that raises, naming the file, on an
    unreadable, empty or truncated image: a sample is never silently
    replaced by another one."""

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except Exception as exc:
            raise OSError(f'cannot read image {path}: {exc}') from exc
        check_complete(data, path)
        img = mmcv.imfrombytes(
            data, flag=self.color_type, backend=self.imdecode_backend)
        if img is None:
            raise OSError(f'cannot decode image {path}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadWeakAnnotations(LoadAnnotations):
    """Loads ``gt_seg_map`` when the sample has a mask, else nothing.

    A sample's ``label_map`` (raw value -> label, e.g. COCO's 90 raw ids)
    is applied with a check that every raw value is known. Mask values must
    then be 0..K or 255 (K = ``len(img_labels)``); anything else is an error
    naming the file.
    """

    def transform(self, results: dict) -> dict:
        if results.get('seg_map_path') is None:
            return results
        return super().transform(results)

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        if results.get('reduce_zero_label'):
            raise ValueError(f'{path}: weak-label masks keep 0 as background '
                             '(reduce_zero_label must be False)')
        try:
            data = fileio.get(path, backend_args=self.backend_args)
            seg = mmcv.imfrombytes(
                data, flag='unchanged',
                backend=self.imdecode_backend).squeeze().astype(np.uint8)
        except Exception as exc:
            raise OSError(f'cannot read mask {path}: {exc}') from exc
        if seg.ndim != 2:
            raise ValueError(
                f'mask {path} has shape {seg.shape}: '
                + (f'{seg.shape[2]} channels, an RGB-coloured mask? '
                   if seg.ndim == 3 else '') +
                'Masks are single-channel (H, W) class-index maps (0 '
                'background, 1..K, 255 ignore)')
        label_map = results.get('label_map')
        if label_map:
            seg = apply_raw_label_map(seg, label_map, path)
        labels = results.get('img_labels')
        if labels is not None:
            check_label_map(seg, len(labels), path)
        results['gt_seg_map'] = seg
        results['seg_fields'].append('gt_seg_map')
