"""Write small VOC-2012-layout trees for tests and examples.

``make_voc_fixture`` writes the layout VOC 2012 + SBD ("train_aug") users of
the reference have on disk (the augmented masks of every image)::

    root/JPEGImages/{id}.jpg
    root/SegmentationClassAug/{id}.png    uint8: 0 background, 1..K, 255 ignore
    root/SegmentationClass/{id}.png       the same maps as palette PNGs
    root/Annotations/{id}.xml             VOC XML, one object per class present
    root/ImageSets/Segmentation/{split}.txt
    root/cls_labels.npy                   pickled dict id -> float32 (K,)

``make_voc_aug_fixture`` writes the tree mmseg's own converter
(``tools/dataset_converters/voc_aug.py``) leaves: VOC's palette masks for its
train / val images only, SBD's masks in ``SegmentationClassAug/``,
``trainaug.txt`` and ``aug.txt``, no label file.
"""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from xml.etree import ElementTree as ET

import cv2
import numpy as np
from PIL import Image

from ..datasets.class_names import VOC_CLASSES, VOC_PALETTE


def draw_label_map(rng: np.random.Generator, height: int, width: int,
                   class_ids: Sequence[int],
                   ignore_border: bool = True) -> np.ndarray:
    """A (H, W) uint8 map with one axis-aligned box per class id (1-based)."""
    seg = np.zeros((height, width), np.uint8)
    for cid in class_ids:
        h = int(rng.integers(height // 4, height // 2 + 1))
        w = int(rng.integers(width // 4, width // 2 + 1))
        y = int(rng.integers(0, height - h + 1))
        x = int(rng.integers(0, width - w + 1))
        seg[y:y + h, x:x + w] = cid
        if ignore_border:  # VOC marks object boundaries with 255
            seg[y, x:x + w] = 255
    return seg


def render_image(rng: np.random.Generator, seg: np.ndarray,
                 num_classes: int) -> np.ndarray:
    """A (H, W, 3) uint8 BGR image whose colour encodes the class of each pixel."""
    palette = rng.integers(0, 256, size=(num_classes + 1, 3), dtype=np.uint8)
    palette[0] = (90, 90, 90)
    img = palette[np.where(seg == 255, 0, seg)]
    noise = rng.integers(-10, 11, size=img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def write_palette_png(path: str, seg: np.ndarray) -> None:
    """A (H, W) uint8 class map as VOC stores it: a palette ('P') PNG."""
    img = Image.fromarray(seg, mode='P')
    palette = [v for rgb in VOC_PALETTE for v in rgb]
    palette += [0] * (768 - len(palette))
    palette[255 * 3:256 * 3] = [224, 224, 192]  # VOC's colour of 255
    img.putpalette(palette)
    img.save(path)


def object_boxes(seg: np.ndarray) -> List[Tuple[int, Tuple[int, ...]]]:
    """(class id, (xmin, ymin, xmax, ymax)) of each class present, 1-based
    inclusive pixel boxes as VOC writes them."""
    boxes = []
    for cid in sorted(set(np.unique(seg).tolist()) - {0, 255}):
        ys, xs = np.nonzero(seg == cid)
        boxes.append((cid, (int(xs.min()) + 1, int(ys.min()) + 1,
                            int(xs.max()) + 1, int(ys.max()) + 1)))
    return boxes


def write_voc_xml(path: str, img_id: str, size: Tuple[int, int],
                  objects: Sequence[dict]) -> None:
    """A VOC annotation file. ``objects``: dicts with ``name``, ``box``
    (xmin, ymin, xmax, ymax) and optionally ``difficult`` / ``truncated``
    (0 / 1)."""
    height, width = size
    ann = ET.Element('annotation')
    ET.SubElement(ann, 'folder').text = 'VOC2012'
    ET.SubElement(ann, 'filename').text = img_id + '.jpg'
    sz = ET.SubElement(ann, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(sz, tag).text = str(value)
    ET.SubElement(ann, 'segmented').text = '1'
    for obj in objects:
        node = ET.SubElement(ann, 'object')
        ET.SubElement(node, 'name').text = obj['name']
        ET.SubElement(node, 'pose').text = 'Unspecified'
        ET.SubElement(node, 'truncated').text = str(obj.get('truncated', 0))
        ET.SubElement(node, 'difficult').text = str(obj.get('difficult', 0))
        box = ET.SubElement(node, 'bndbox')
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['box']):
            ET.SubElement(box, tag).text = str(value)
    ET.ElementTree(ann).write(path)


def xml_objects(seg: np.ndarray, index: int) -> List[dict]:
    """One XML object per class of ``seg``; image 1 of every 3 has its first
    object truncated, image 2 of every 3 its first object difficult (both
    still drawn in the mask, as VOC segments them)."""
    objects = [dict(name=VOC_CLASSES[cid], box=box)
               for cid, box in object_boxes(seg)]
    if objects and index % 3 == 1:
        objects[0]['truncated'] = 1
    if objects and index % 3 == 2:
        objects[0]['difficult'] = 1
    return objects


def make_voc_fixture(root: str,
                     *,
                     num_images: int = 6,
                     num_classes: int = 20,
                     height: int = 64,
                     width: int = 80,
                     max_objects: int = 2,
                     splits: Optional[Dict[str, Sequence[int]]] = None,
                     seg_dir: str = 'SegmentationClassAug',
                     voc_seg_dir: Optional[str] = 'SegmentationClass',
                     write_label_file: bool = True,
                     write_xml: bool = True,
                     seed: int = 0) -> Dict[str, List]:
    """Write a VOC-layout tree under ``root`` and return what was written.

    Args:
        splits: split name -> indices of images in it. Defaults to
            ``train_aug`` and ``trainaug`` (the reference's and mmseg's name)
            = all, ``train`` = first half, ``val`` = second half.
        voc_seg_dir: where the palette copies of the masks go (None: none;
            with 20 classes only, since the palette is VOC's).
        write_xml: write ``Annotations/{id}.xml`` (see ``xml_objects``).

    Returns:
        dict with ``ids`` (list of str), ``labels`` (list of (K,) float32,
        the classes of each mask, every object counted) and ``difficult``
        (list of the 0-based class indices whose only object is difficult,
        per image).
    """
    rng = np.random.default_rng(seed)
    root_path = Path(root)
    if num_classes != 20:
        voc_seg_dir = None
        write_xml = False  # VOC's XML names the 20 VOC classes
    subs = ['JPEGImages', seg_dir, 'ImageSets/Segmentation']
    subs += [voc_seg_dir] if voc_seg_dir else []
    subs += ['Annotations'] if write_xml else []
    for sub in subs:
        (root_path / sub).mkdir(parents=True, exist_ok=True)
    difficult = []
    ids, labels = [], []
    for i in range(num_images):
        img_id = f'2007_{i:06d}'
        n_obj = int(rng.integers(1, max_objects + 1))
        class_ids = sorted(
            rng.choice(np.arange(1, num_classes + 1), n_obj, replace=False))
        seg = draw_label_map(rng, height, width, class_ids)
        present = sorted(set(np.unique(seg).tolist()) - {0, 255})
        label = np.zeros(num_classes, np.float32)
        label[np.asarray(present, int) - 1] = 1
        cv2.imwrite(osp.join(root, 'JPEGImages', img_id + '.jpg'),
                    render_image(rng, seg, num_classes))
        cv2.imwrite(osp.join(root, seg_dir, img_id + '.png'), seg)
        if voc_seg_dir:
            write_palette_png(osp.join(root, voc_seg_dir, img_id + '.png'),
                              seg)
        objects = xml_objects(seg, i)
        if write_xml:
            write_voc_xml(osp.join(root, 'Annotations', img_id + '.xml'),
                          img_id, seg.shape, objects)
        difficult.append([VOC_CLASSES.index(o['name']) - 1 for o in objects
                          if o.get('difficult')])
        ids.append(img_id)
        labels.append(label)
    if splits is None:
        half = max(1, num_images // 2)
        splits = dict(
            train_aug=range(num_images),
            trainaug=range(num_images),
            train=range(half),
            val=range(half, num_images))
    for name, idx in splits.items():
        (root_path / 'ImageSets/Segmentation' / f'{name}.txt').write_text(
            ''.join(ids[j] + '\n' for j in idx))
    if write_label_file:
        np.save(osp.join(root, 'cls_labels.npy'), dict(zip(ids, labels)))
    return dict(ids=ids, labels=labels, difficult=difficult)


def make_voc_aug_fixture(root: str,
                         *,
                         num_voc_train: int = 4,
                         num_voc_val: int = 3,
                         num_sbd: int = 6,
                         height: int = 48,
                         width: int = 64,
                         seed: int = 0) -> Dict[str, object]:
    """The tree mmseg's ``voc_aug.py`` converter leaves, in miniature.

    VOC's segmentation images: ``2007_*`` (train, then val) with palette
    masks in ``SegmentationClass/``. SBD's images: ``2008_*`` with uint8
    masks (no 255 borders) in ``SegmentationClassAug/``; SBD also covers the
    first VOC train image and the first VOC val image, as the real sets
    overlap. The lists are computed as the converter computes them::

        trainaug = (VOC train + SBD) - VOC val      (VOC: 10582)
        aug      = SBD - (VOC train + VOC val)       (VOC: 10582 - 1464)

    and written in an unsorted order. Every image has its XML annotation.

    Returns:
        dict with ``lists`` (name -> ids as written), ``labels`` (id -> (20,)
        float32 classes of its mask) and ``sbd_masks`` (ids with a mask in
        ``SegmentationClassAug/``).
    """
    rng = np.random.default_rng(seed)
    root_path = Path(root)
    for sub in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug',
                'Annotations', 'ImageSets/Segmentation'):
        (root_path / sub).mkdir(parents=True, exist_ok=True)
    voc_ids = [f'2007_{i:06d}' for i in range(num_voc_train + num_voc_val)]
    voc_train, voc_val = voc_ids[:num_voc_train], voc_ids[num_voc_train:]
    sbd_ids = [f'2008_{i:06d}' for i in range(num_sbd)]
    sbd_ids += [voc_train[0], voc_val[0]]  # SBD overlaps VOC
    labels = {}
    for index, img_id in enumerate(voc_ids + sbd_ids[:num_sbd]):
        n_obj = int(rng.integers(1, 3))
        class_ids = sorted(rng.choice(np.arange(1, 21), n_obj, replace=False))
        seg = draw_label_map(rng, height, width, class_ids,
                             ignore_border=img_id in voc_ids)
        present = sorted(set(np.unique(seg).tolist()) - {0, 255})
        label = np.zeros(20, np.float32)
        label[np.asarray(present, int) - 1] = 1
        labels[img_id] = label
        cv2.imwrite(osp.join(root, 'JPEGImages', img_id + '.jpg'),
                    render_image(rng, seg, 20))
        if img_id in voc_ids:
            write_palette_png(
                osp.join(root, 'SegmentationClass', img_id + '.png'), seg)
        if img_id in sbd_ids:
            cv2.imwrite(
                osp.join(root, 'SegmentationClassAug', img_id + '.png'),
                np.where(seg == 255, 0, seg).astype(np.uint8))
        write_voc_xml(osp.join(root, 'Annotations', img_id + '.xml'),
                      img_id, seg.shape, xml_objects(seg, index))
    trainaug = sorted(set(voc_train + sbd_ids) - set(voc_val))
    aug = sorted(set(sbd_ids) - set(voc_train + voc_val))
    lists = dict(train=voc_train, val=voc_val, trainval=voc_ids)
    lists['trainaug'] = [trainaug[j] for j in rng.permutation(len(trainaug))]
    lists['aug'] = [aug[j] for j in rng.permutation(len(aug))]
    for name, ids in lists.items():
        (root_path / 'ImageSets/Segmentation' / f'{name}.txt').write_text(
            ''.join(i + '\n' for i in ids))
    return dict(lists=lists, labels=labels, sbd_masks=sorted(set(sbd_ids)))
