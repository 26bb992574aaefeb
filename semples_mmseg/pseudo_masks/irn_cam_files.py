"""IRNet's CAM files: ``{cam_dir}/{image id}.npz``, written and checked.

Each file holds ``keys`` (K',) int64, the 0-based classes of the image
(background not counted), ``high_res`` (K', H, W) and ``cam_s4`` (K',
ceil(H / 4), ceil(W / 4)) float32 (CLIMS / IRNet ``make_cam``'s ``keys``,
``high_res`` and ``cam``). The folder's ``pseudo_mask_settings.json`` records
how they were made, the dataset's ``classes`` included.

:func:`check_irn_cam_files` reads only the keys and the array headers of
every file of a list, so a missing file, a file of another class set or of
another image size is named before any compute.
"""
import json
import os.path as osp
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ..utils.atomic_files import atomic_path
from .export import SETTINGS_FILE

MAX_LISTED = 20
STRIDE = 4  # of cam_s4


class IRNetCAMs(NamedTuple):
    """One image's CAMs (see the module docstring); ``high_res`` may be
    None when only the walk's inputs were read."""
    keys: np.ndarray
    high_res: Optional[np.ndarray]
    cam_s4: np.ndarray


def irn_cam_path(cam_dir: str, img_path: str) -> str:
    return osp.join(cam_dir,
                    osp.splitext(osp.basename(img_path))[0] + '.npz')


def strided_size(height: int, width: int) -> Tuple[int, int]:
    """(ceil(H / 4), ceil(W / 4))."""
    return -(-height // STRIDE), -(-width // STRIDE)


def write_irn_cams(cams: IRNetCAMs, path: str) -> None:
    """Write the three arrays atomically (a kill leaves no partial file)."""
    with atomic_path(path) as tmp:
        np.savez(tmp, keys=cams.keys.astype(np.int64),
                 high_res=cams.high_res.astype(np.float32),
                 cam_s4=cams.cam_s4.astype(np.float32))


def read_irn_cams(path: str, *, high_res: bool = True) -> IRNetCAMs:
    """The arrays of one file (``high_res=False``: skip the largest)."""
    with np.load(path) as data:
        return IRNetCAMs(
            keys=data['keys'],
            high_res=data['high_res'] if high_res else None,
            cam_s4=data['cam_s4'])


def array_shapes(path: str) -> dict:
    """name -> shape of each array of an ``.npz``, from the headers only."""
    shapes = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as f:
                version = np.lib.format.read_magic(f)
                read = (np.lib.format.read_array_header_1_0 if version ==
                        (1, 0) else np.lib.format.read_array_header_2_0)
                shapes[name[:-len('.npy')]] = read(f)[0]
    return shapes


def npz_complete(path: str) -> bool:
    """The file is a whole ``.npz`` with the three arrays."""
    try:
        return {'keys', 'high_res', 'cam_s4'} <= set(array_shapes(path))
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def image_size(info: dict) -> Tuple[int, int]:
    """(H, W) of a data info: the dataset scan's, else the image header's."""
    if info.get('scan_shape') is not None:
        return tuple(info['scan_shape'])
    with Image.open(info['img_path']) as img:
        return img.height, img.width


def cam_file_problem(path: str, size: Tuple[int, int], num_classes: int,
                     labels: Optional[np.ndarray]) -> Optional[str]:
    """Why the CAM file of an image of ``size`` does not fit, or None."""
    if not osp.isfile(path):
        return 'missing'
    try:
        shapes = array_shapes(path)
        with np.load(path) as data:
            keys = data['keys']
    except Exception as exc:  # truncated zip, bad header, no keys
        return f'unreadable ({type(exc).__name__}: {exc})'
    if keys.ndim != 1 or (len(keys) and (keys.min() < 0
                                         or keys.max() >= num_classes)):
        return f'keys {keys.tolist()} are not classes 0..{num_classes - 1}'
    if labels is not None and keys.tolist() != np.flatnonzero(
            labels > 0.5).tolist():
        return (f'keys {keys.tolist()} but the image has classes '
                f'{np.flatnonzero(labels > 0.5).tolist()}')
    expected = dict(high_res=(len(keys), *size),
                    cam_s4=(len(keys), *strided_size(*size)))
    for name, shape in expected.items():
        if shapes.get(name) != shape:
            return (f'{name} is {shapes.get(name)}, the image {size[0]} x '
                    f'{size[1]} needs {shape}')
    return None


def read_cam_settings(cam_dir: str) -> Optional[dict]:
    """The settings a CAM folder was made with (None: not recorded)."""
    path = osp.join(cam_dir, SETTINGS_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def check_irn_cam_files(dataset,
                        indices: Sequence[int],
                        cam_dir: str,
                        *,
                        workers: int = 8) -> None:
    """Raise one error naming every CAM file of ``indices`` that is missing
    or does not fit its image (size, classes), and a folder made for
    another class set (its ``pseudo_mask_settings.json``)."""
    recorded = read_cam_settings(cam_dir)
    if recorded is None:
        raise FileNotFoundError(
            f'{cam_dir} holds no {SETTINGS_FILE}: not a CAM folder of '
            'tools/irn/make_irn_cams.py')
    expected = list(dataset.metainfo['classes'])
    if recorded.get('classes') != expected:
        raise ValueError(
            f'{osp.join(cam_dir, SETTINGS_FILE)}: the CAMs are of the '
            f"classes {recorded.get('classes')}, the dataset has {expected}")
    num_classes = len(expected) - 1

    def problem(index: int) -> Optional[str]:
        info = dataset.get_data_info(index)
        path = irn_cam_path(cam_dir, info['img_path'])
        why = cam_file_problem(path, image_size(info), num_classes,
                               info.get('img_labels'))
        return None if why is None else f'{path}: {why}'

    with ThreadPoolExecutor(max(1, workers)) as pool:
        problems: List[str] = [p for p in pool.map(problem, indices) if p]
    if problems:
        listed = '\n  '.join(problems[:MAX_LISTED])
        more = len(problems) - MAX_LISTED
        raise ValueError(
            f'{len(problems)} of {len(indices)} CAM files do not fit the '
            f'images of the list:\n  {listed}' +
            (f'\n  ... and {more} more' if more > 0 else ''))
