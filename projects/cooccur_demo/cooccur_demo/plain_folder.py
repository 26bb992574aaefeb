"""The co-occurrence world as a user would hand it over: a plain folder of
photos and a CSV of their tags, no VOC layout, no masks.

``export_plain_folder(world, out)`` reads a world written by ``write_world``
(the VOC layout of the demo) and writes::

    out/folder/photos/batch_{b}/photo_{n:04d}.jpg  the train images, renamed
    out/folder/tags.csv                            image,labels (a;b)
    out/new_photos/photos/photo_{n:04d}.jpg        the val images: new images
    out/new_photos/tags.csv                        their tags (for scoring)
    out/answers/{folder,new_photos}/...png         the world's masks, named as
                                                   the photos; never read by a
                                                   run, only to score it
    out/answers/names.csv                          photo -> world image id

Photos get new names in a shuffled order (seeded), and the tags of a row a
shuffled order, so nothing of the world's layout is left for a run to use.
"""
import csv
import os
import os.path as osp
import shutil
from typing import Dict, List

import numpy as np

from .world import read_world_meta

BATCH = 100  # photos per subfolder of the folder


def _write_csv(path: str, rows: List[tuple]) -> None:
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerows(rows)


def _copy(src: str, dst: str) -> None:
    os.makedirs(osp.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


def export_plain_folder(world: str, out: str, *, seed: int = 0
                        ) -> Dict[str, int]:
    """Write ``out`` from the world in ``world`` (see the module doc);
    return the number of photos per part."""
    meta = read_world_meta(world)
    classes = meta['metainfo']['prompt_classes']
    labels = np.load(osp.join(world, 'cls_labels.npy'),
                     allow_pickle=True).item()
    rng = np.random.default_rng(seed)
    names = [('photo', 'world image id')]
    counts = {}
    for part, split in (('folder', 'train'), ('new_photos', 'val')):
        with open(osp.join(world, 'ImageSets', 'Segmentation',
                           f'{split}.txt')) as f:
            ids = [line.strip() for line in f if line.strip()]
        rows = [('image', 'labels')]
        for n, index in enumerate(rng.permutation(len(ids))):
            img_id = ids[index]
            rel = (f'batch_{n // BATCH}/photo_{n:04d}.jpg'
                   if part == 'folder' else f'photo_{n:04d}.jpg')
            tags = [classes[k] for k in np.flatnonzero(labels[img_id])]
            rows.append((rel, ';'.join(rng.permutation(tags).tolist())))
            names.append((f'{part}/photos/{rel}', img_id))
            _copy(osp.join(world, 'JPEGImages', img_id + '.jpg'),
                  osp.join(out, part, 'photos', rel))
            _copy(osp.join(world, 'SegmentationClassAug', img_id + '.png'),
                  osp.join(out, 'answers', part,
                           osp.splitext(rel)[0] + '.png'))
        _write_csv(osp.join(out, part, 'tags.csv'), rows)
        counts[part] = len(ids)
    _write_csv(osp.join(out, 'answers', 'names.csv'), names)
    return counts
