"""Image-level labels: the reference's label files, or derived from masks."""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmengine import fileio


def read_id_list(path: str) -> List[str]:
    """Image ids of a split file (one per line; a path or '.jpg' suffix is
    cut). A UTF-8 byte-order mark (Windows editors) is accepted; a UTF-16
    file is named as such."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'id list {path} does not exist')
    data = fileio.get(path)
    if data[:2] in (b'\xff\xfe', b'\xfe\xff'):
        raise ValueError(f'id list {path} is UTF-16 encoded (byte-order mark '
                         f'{data[:2].hex(" ").upper()}): save it as UTF-8')
    try:
        text = data.decode('utf-8-sig')  # drops a UTF-8 byte-order mark
    except UnicodeDecodeError as exc:
        raise ValueError(f'id list {path} is not UTF-8 text ({exc})') from exc
    ids = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            ids.append(osp.splitext(osp.basename(line.split()[0]))[0])
    if not ids:
        raise ValueError(f'id list {path} is empty')
    return ids


def _digits(img_id: str) -> Tuple[Optional[int], Optional[int]]:
    """(all digits of the id as one int, its last run of digits as int)."""
    every = re.sub(r'\D', '', img_id)
    last = re.findall(r'\d+', img_id)
    return (int(every) if every else None,
            int(last[-1]) if last else None)


def _match_integer_keys(raw: dict, ids: Sequence[str],
                        path: str) -> Dict[str, object]:
    """Map integer keys (e.g. COCO image ids 9, 25) to the split's id strings:
    by all digits of the id (VOC 2007_000032 -> 2007000032) or by its last
    run of digits (COCO_train2014_000000000009 -> 9), whichever matches every
    id one-to-one; otherwise an error naming the format."""
    keys = {int(k) for k in raw}
    for rule, name in ((0, 'all digits'), (1, 'last digit group')):
        mapped = {img_id: _digits(img_id)[rule] for img_id in ids}
        values = list(mapped.values())
        if all(v in keys for v in values) and len(set(values)) == len(values):
            return {img_id: raw[next(k for k in raw if int(k) == v)]
                    for img_id, v in mapped.items()}
    example = sorted(keys)[:3]
    raise ValueError(
        f'label file {path} is keyed by integers (e.g. {example}) that do '
        f'not match the ids of the split (e.g. {list(ids)[:2]}) one to one, '
        'neither by all digits of an id nor by its last digit group: key '
        'the file by the id strings of the id list')


def read_label_file(path: str, num_classes: int,
                    ids: Optional[Sequence[str]] = None
                    ) -> Dict[str, np.ndarray]:
    """The reference format: a pickled dict id -> float32 (K,) multi-hot.

    Keys may carry ``.jpg``; integer keys (``np.int64`` or ``int``) are
    matched to ``ids`` (see :func:`_match_integer_keys`). Every vector must
    have length K and hold 0 and 1 only (a 0 / 255 file would otherwise
    train as multi-hot); a corrupt or non-dict file is an error naming it.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label file {path} does not exist')
    try:
        raw = np.load(path, allow_pickle=True)
    except Exception as exc:
        raise ValueError(
            f'label file {path} cannot be read ({type(exc).__name__}: '
            f'{exc}): corrupt or not a .npy file? Expected np.save of a '
            'dict id -> multi-hot vector (the reference\'s cls_labels.npy)'
        ) from exc
    if not isinstance(raw, np.ndarray) or raw.dtype != object or \
            raw.shape != () or not isinstance(raw.item(), dict):
        what = (f'an array of shape {raw.shape} and dtype {raw.dtype}'
                if isinstance(raw, np.ndarray) else type(raw).__name__)
        raise ValueError(f'label file {path} holds {what}, not a pickled '
                         'dict (id -> multi-hot vector)')
    raw = raw.item()
    if raw and all(isinstance(k, (int, np.integer)) for k in raw):
        if ids is None:
            raise ValueError(f'label file {path} is keyed by integers; the '
                             'id list is needed to match them')
        raw = _match_integer_keys(raw, ids, path)
    labels, not_binary = {}, {}
    for key, vec in raw.items():
        try:
            vec = np.asarray(vec, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f'label file {path}: the entry of {key!r} is '
                             f'not a numeric vector ({exc})') from exc
        img_id = osp.splitext(str(key))[0]
        if vec.shape[0] != num_classes:
            raise ValueError(f'label file {path}: id {img_id} has a vector '
                             f'of length {vec.shape[0]}, expected '
                             f'{num_classes} (a multi-hot vector: 0 / 1 per '
                             'class, background excluded)')
        other = vec[(vec != 0) & (vec != 1)]
        if other.size:
            not_binary[img_id] = other
        labels[img_id] = vec
    if not_binary:
        values = np.unique(np.concatenate(list(not_binary.values())))
        shown = ', '.join(f'{v:g}' for v in values[:8])
        raise ValueError(
            f'label file {path}: the vectors must hold 0 and 1 only (one '
            f'multi-hot vector per image); {len(not_binary)} of '
            f'{len(labels)} hold {shown}{" ..." if len(values) > 8 else ""} '
            f'(e.g. id {next(iter(not_binary))})')
    return labels


def load_label_map(path: str) -> np.ndarray:
    """A (H, W) uint8 class-index PNG (palette PNGs give their indices)."""
    try:
        seg = mmcv.imfrombytes(
            fileio.get(path), flag='unchanged', backend='pillow')
    except Exception as exc:
        raise OSError(f'cannot read mask {path}: {exc}') from exc
    if seg.ndim == 3 and seg.shape[2] == 1:
        seg = seg[..., 0]
    if seg.ndim != 2:
        raise ValueError(
            f'mask {path} has {seg.shape[2]} channels: an RGB-coloured mask? '
            'Masks are single-channel class-index maps (0 background, 1..K, '
            '255 ignore); keep VOC\'s palette PNGs as palette images')
    return seg.astype(np.uint8)


def mask_values(seg: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a uint8 mask (a histogram: O(H W),
    several times faster than ``np.unique``'s sort on VOC-sized masks)."""
    return np.flatnonzero(np.bincount(seg.ravel(), minlength=256))


def check_label_map(seg: np.ndarray, num_classes: int, path: str) -> None:
    """Values must be 0 (background), 1..K, or 255 (ignore)."""
    values = mask_values(seg)
    bad = values[(values > num_classes) & (values != 255)]
    if bad.size:
        raise ValueError(f'mask {path} has values {bad.tolist()} outside '
                         f'0..{num_classes} and 255')


def apply_raw_label_map(seg: np.ndarray, label_map: Dict[int, int],
                        path: str) -> np.ndarray:
    """Map raw mask values to labels (COCO 90-id layout -> 1..80).

    Raw values must be 0, 255 or a key of ``label_map``; anything else
    (e.g. an unused COCO id) is an error naming the file.
    """
    lut = np.full(256, -1, np.int16)
    lut[0], lut[255] = 0, 255
    for raw, label in label_map.items():
        lut[int(raw)] = int(label)
    mapped = lut[seg]
    if (mapped < 0).any():
        bad = np.unique(seg[mapped < 0])
        raise ValueError(f'mask {path} has raw values {bad.tolist()} that '
                         'are neither 0, 255 nor a known category id')
    return mapped.astype(np.uint8)


def labels_from_mask(path: str, num_classes: int,
                     label_map: Optional[Dict[int, int]] = None) -> np.ndarray:
    """(K,) multi-hot of the classes present in a mask (0 and 255 ignored).

    ``label_map`` maps raw mask values to labels first (COCO 90-id layout).
    """
    seg = load_label_map(path)
    if label_map is not None:
        seg = apply_raw_label_map(seg, label_map, path)
    check_label_map(seg, num_classes, path)
    present = mask_values(seg)
    present = present[(present > 0) & (present != 255)]
    vec = np.zeros(num_classes, np.float32)
    vec[present.astype(int) - 1] = 1
    return vec
