"""Pseudo masks from CAMs: threshold, optional dense CRF, PNG, score.

The pieces ``tools/make_pseudo_masks.py`` and ``tools/compare.py`` are made
of. :func:`cam_pass` streams: DataLoader workers read ahead
(``export_loader.py``), the model runs in the main process, writer threads
write (``export_writer.py``); memory stays flat in the number of images.
"""
import json
import os
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence

import mmcv
from mmengine.utils import ProgressBar

import numpy as np
import torch
from PIL import Image

from ..utils.atomic_files import (DiskFullError, atomic_path,
                                   np_save_atomically, write_json_atomically)
from ..evaluation.cam_seed_metric import CAMSeedMetric
from ..models.segmentors.cam_inference import cams_to_label_map
from .export_loader import ReadFailure, build_export_loader
from .export_writer import BoundedWriter


def checkpoint_num_classes(state: Dict[str, torch.Tensor]) -> Optional[int]:
    """K of a checkpoint's CAM network (head / classifier out-channels)."""
    for key in ('cam_net.head.weight', 'cam_net.classifier.weight'):
        if key in state:
            return int(state[key].shape[0])
    if 'cam_net.backbone.cls_token' in state:
        return int(state['cam_net.backbone.cls_token'].shape[1])
    return None


def write_png_atomically(label: np.ndarray, path: str) -> None:
    """Write a temporary file, then rename: a kill leaves no partial PNG
    (and a full disk names ``path``)."""
    with atomic_path(path) as tmp:
        Image.fromarray(label).save(tmp)


def png_complete(path: str) -> bool:
    """The PNG exists and ends with its IEND chunk (cheap: the last bytes)."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16))
            return b'IEND' in f.read()
    except OSError:
        return False


def npy_complete(path: str) -> bool:
    """The ``.npy`` exists and holds all the bytes its header announces."""
    try:
        np.load(path, mmap_mode='r')
        return True
    except (OSError, ValueError):
        return False


def pending_indices(img_paths: Sequence[str], out_dir: str,
                    save_cams: bool = False,
                    img_ids: Optional[Sequence[str]] = None) -> List[int]:
    """Indices of images whose outputs are not all written and complete
    (a PNG without IEND, a short ``.npy`` count as not written);
    ``img_ids``: the images' output names (:func:`output_ids`)."""
    ids = img_ids or [None] * len(img_paths)
    return [
        i for i, (path, img_id) in enumerate(zip(img_paths, ids))
        if not png_complete(mask_path(out_dir, path, img_id)) or (
            save_cams and not npy_complete(cam_path(out_dir, path, img_id)))
    ]


TEMPORARY = re.compile(r'\.tmp\d+\.(png|npy|npz)$')  # atomic_path's names


def _files_below(out_dir: str) -> List[str]:
    """Every file below ``out_dir`` (masks of a folder tree sit in
    subfolders), sorted."""
    return sorted(osp.join(root, name) for root, _, names in os.walk(out_dir)
                  for name in names)


def remove_temporaries(out_dir: str) -> List[str]:
    """Delete the temporary files a killed run left below ``out_dir``
    (never under a real name); return their paths."""
    removed = [p for p in _files_below(out_dir) if TEMPORARY.search(p)]
    for path in removed:
        os.remove(path)
    return removed


def written_masks(out_dir: str) -> List[str]:
    """The finished mask PNGs below ``out_dir`` (not under ``cams/``)."""
    cams = osp.join(out_dir, 'cams') + osp.sep
    return [p for p in _files_below(out_dir) if p.endswith('.png')
            and not TEMPORARY.search(p) and not p.startswith(cams)]


def mask_path(out_dir: str, img_path: str,
              img_id: Optional[str] = None) -> str:
    """``{out_dir}/{name}.png``: the name is ``img_id`` (a dataset's id of
    the image, ``day1/IMG_0001`` for a folder tree) or the image's file
    name without suffix."""
    name = img_id or osp.splitext(osp.basename(img_path))[0]
    return osp.join(out_dir, name + '.png')


def cam_path(out_dir: str, img_path: str,
             img_id: Optional[str] = None) -> str:
    name = img_id or osp.splitext(osp.basename(img_path))[0]
    return osp.join(out_dir, 'cams', name + '.npy')


def output_ids(dataset) -> Optional[List[str]]:
    """The output names of a dataset whose samples carry ``img_id``
    (``ImageTagDataset``: paths below its image folder), else None (file
    names)."""
    ids = [dataset.get_data_info(i).get('img_id')
           for i in range(len(dataset))]
    return ids if all(ids) and ids else None


SETTINGS_FILE = 'pseudo_mask_settings.json'


def settings_differences(recorded: Dict, current: Dict) -> List[str]:
    """``key: recorded vs now`` for every setting that differs."""
    return [
        f'{key}: {recorded.get(key)!r} (the written masks) vs '
        f'{current.get(key)!r} (now)'
        for key in sorted(set(recorded) | set(current))
        if recorded.get(key) != current.get(key)
    ]


def check_or_record_settings(out_dir: str, settings: Dict, *,
                             resume: bool) -> None:
    """``--resume``: refuse unless ``out_dir``'s recorded settings equal
    ``settings``; otherwise (a new or overwritten folder) record them."""
    path = osp.join(out_dir, SETTINGS_FILE)
    settings = json.loads(json.dumps(settings))  # tuples -> lists
    if resume and osp.isfile(path):
        with open(path) as f:
            recorded = json.load(f)
        diffs = settings_differences(recorded, settings)
        if diffs:
            raise ValueError(f'--resume: {out_dir} was made with other '
                             f"settings ({'; '.join(diffs)}): --overwrite")
        return
    if resume and written_masks(out_dir):
        raise ValueError(f'--resume: {out_dir} has masks but no '
                         f'{SETTINGS_FILE}: --overwrite')
    write_json_atomically(settings, path)


def score_masks(out_dir: str, pairs: Sequence[tuple],
                class_names: Sequence[str],
                img_ids: Optional[Sequence[str]] = None) -> Dict:
    """mIoU of the written masks against GT, one image at a time.

    Args:
        pairs: (img_path, gt_path) per image with a GT mask.
        class_names: ('background', name_1, ..., name_K).
        img_ids: the pairs' output names (default: the file names).
    """
    k = len(class_names)
    conf = np.zeros((k, k), np.int64)
    for (img_path, gt_path), img_id in zip(pairs,
                                           img_ids or [None] * len(pairs)):
        written = mask_path(out_dir, img_path, img_id)
        pred = np.array(Image.open(written))
        gt = np.array(Image.open(gt_path))
        if pred.shape != gt.shape:
            raise ValueError(f'{written} is {pred.shape}, its GT {gt_path} '
                             f'is {gt.shape}')
        valid = gt != 255
        conf += np.bincount(
            gt[valid].astype(np.int64) * k + pred[valid],
            minlength=k * k).reshape(k, k)
    iou = CAMSeedMetric.class_iou(conf)
    return dict(
        images=len(pairs),
        mIoU=round(float(np.nanmean(iou) * 100), 2),
        per_class={
            name: (None if np.isnan(v) else round(float(v * 100), 2))
            for name, v in zip(class_names, iou)
        })


def scores_markdown(scores: Dict) -> str:
    """A Markdown table of the per-class IoU and the mIoU."""
    rows = ['| class | IoU |', '|---|---|']
    rows += [
        f"| {name} | {'-' if v is None else f'{v:.2f}'} |"
        for name, v in scores['per_class'].items()
    ]
    rows.append(f"| **mIoU** ({scores['images']} images) | "
                f"**{scores['mIoU']:.2f}** |")
    return '\n'.join(rows)


def save_scores(scores: Dict, out_dir: str) -> str:
    path = osp.join(out_dir, 'scores.json')
    write_json_atomically(scores, path)
    return path


def write_image_outputs(label: np.ndarray, cams: Optional[np.ndarray],
                        img_path: str, *, out_dir: str,
                        crf: Optional[Callable] = None,
                        img_id: Optional[str] = None,
                        label_set: Optional[np.ndarray] = None) -> None:
    """One image's files: ``cams/{id}.npy`` (the float16 (K, H, W) ``cams``,
    unless None) first, then the (H, W) ``label`` map (CRF-refined with the
    image over ``label_set``, when given) as the mask PNG, so that a mask is
    only "done" with its CAM file (``--resume``); ``img_id`` names them
    (:func:`mask_path`), in subfolders where it has them. Any failure names
    the file being written. Only numpy, PIL and the CRF run here (no torch:
    see :func:`cam_pass`)."""
    target = mask_path(out_dir, img_path, img_id)
    try:
        if crf is not None:
            image = np.ascontiguousarray(
                mmcv.imread(img_path, channel_order='rgb'))
            label = crf(image, label) if label_set is None else crf(
                image, label, label_set=label_set)
        if cams is not None:
            target = cam_path(out_dir, img_path, img_id)
            os.makedirs(osp.dirname(target), exist_ok=True)
            np_save_atomically(cams, target)
            target = mask_path(out_dir, img_path, img_id)
        if img_id is not None:
            os.makedirs(osp.dirname(target), exist_ok=True)
        write_png_atomically(label, target)
    except DiskFullError:
        raise  # names the file already
    except Exception as exc:
        raise RuntimeError(f'writing {target} failed: '
                           f'{type(exc).__name__}: {exc}') from exc


def crf_label_set(sample) -> Optional[np.ndarray]:
    """Background and every image-level class (``img_labels``) as label
    values 0 / k + 1: the CRF's labels, as the references give them."""
    labels = sample.metainfo.get('img_labels')
    if labels is None:
        return None
    return np.concatenate([[0], np.flatnonzero(np.asarray(labels)) + 1])


DEFAULT_WRITER_THREADS = 2


def cam_pass(model,
             dataset,
             indices: Sequence[int],
             *,
             out_dir: str,
             threshold: float,
             crf: Optional[Callable] = None,
             save_cams: bool = False,
             on_sample: Optional[Callable] = None,
             progress: bool = True,
             workers: int = 0,
             writer_threads: Optional[int] = None,
             max_pending_writes: Optional[int] = None,
             seed: int = 0) -> None:
    """CAMs -> thresholded (and CRF-refined) pseudo masks, streamed.

    ``workers`` DataLoader workers read the images ahead (the dataset's test
    pipeline), the model runs in this process at batch 1 and thresholds,
    and ``writer_threads`` threads (default: 0 with 0 workers, the serial
    path, else 2) CRF-refine and write ``{out_dir}/{image id}.png`` (and
    ``cams/{id}.npy``) with at most ``max_pending_writes`` images in flight
    (default: twice the threads), so memory stays flat. The files are the
    same bytes whatever the workers and threads. ``on_sample(sample)`` sees
    every predicted data sample here, in order (e.g. to feed a seed metric
    in the same pass). A failure to read, infer or write names the image
    or file; the images before it are written.
    """
    if not len(indices):  # e.g. a rank's empty shard of a resume
        return
    if writer_threads is None:
        writer_threads = DEFAULT_WRITER_THREADS if workers else 0
    loader = build_export_loader(dataset, indices, workers=workers,
                                 seed=seed)
    bar = ProgressBar(len(indices)) if progress else None
    with BoundedWriter(writer_threads, max_pending_writes) as writer:
        for index, batch in zip(indices, loader):
            if isinstance(batch, ReadFailure):
                raise batch.error()
            try:
                with torch.no_grad():
                    sample = model.test_step(batch)[0]
                cams = sample.pred_cams.data.detach()
            except Exception as exc:  # name the image (e.g. below a patch)
                path = dataset.get_data_info(index)['img_path']
                raise RuntimeError(f'CAM inference failed on {path}: '
                                   f'{type(exc).__name__}: {exc}') from exc
            # torch stays in this thread: a torch op on a writer thread
            # starts a second OpenMP team, which changes how the model's
            # threads wait (libgomp throttles spinning), so the two paths
            # would not be timed alike
            label = cams_to_label_map(cams[None], threshold)[0]
            img_id = dataset.get_data_info(index).get('img_id')
            writer.submit(write_image_outputs,
                          label.to(torch.uint8).cpu().numpy(),
                          cams.half().cpu().numpy() if save_cams else None,
                          sample.metainfo['img_path'], out_dir=out_dir,
                          crf=crf, label_set=crf_label_set(sample),
                          **({'img_id': img_id} if img_id else {}))
            if on_sample is not None:
                on_sample(sample)
            if bar is not None:
                bar.update()


def gt_pairs(dataset) -> List[tuple]:
    """(img_path, gt_path) of every image of ``dataset`` that has a mask."""
    infos = (dataset.get_data_info(i) for i in range(len(dataset)))
    return [(d['img_path'], d['seg_map_path']) for d in infos
            if d.get('seg_map_path') is not None]


def score_dataset_masks(out_dir: str, dataset) -> Optional[Dict]:
    """:func:`score_masks` of the masks written for ``dataset`` against its
    GT masks; None when it has none."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    infos = [d for d in infos if d.get('seg_map_path') is not None]
    if not infos:
        return None
    return score_masks(out_dir, [(d['img_path'], d['seg_map_path'])
                                 for d in infos],
                       dataset.metainfo['classes'],
                       img_ids=[d.get('img_id') for d in infos])
