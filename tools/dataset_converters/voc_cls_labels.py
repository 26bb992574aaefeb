"""Write the reference-format VOC label file (``cls_labels.npy``).

    python tools/dataset_converters/voc_cls_labels.py DATA_ROOT \
        [--lists LIST ...] [--source xml|mask] \
        [--difficult include|exclude] [--out cls_labels.npy]

(DATA_ROOT e.g. data/VOCdevkit/VOC2012; the lists default to
ImageSets/Segmentation/trainaug.txt and val.txt.)

A pickled dict image id -> float32 (20,) multi-hot, as PSA / IRNet's
``make_cls_labels.py`` writes it for WeakTr and SemPLeS (ids of train_aug
and val: 12031 on the full VOC 2012 + SBD). ``--source xml`` (default)
reads ``Annotations/{id}.xml`` as the reference did (every object counts;
``--difficult exclude`` keeps a class only when one of its objects is not
difficult, as mmpretrain's VOC dataset); ``--source mask`` reads the
classes of each image's mask (SegmentationClassAug/, else
SegmentationClass/). The output
path is relative to the data root unless absolute; the file is read back
and checked before the tool reports success.
"""
import argparse
import os.path as osp
import sys

import numpy as np

from semples_mmseg.datasets.class_names import VOC_CLASSES
from semples_mmseg.datasets.image_labels import read_id_list, read_label_file
from semples_mmseg.datasets.label_table import (SOURCES, VOC_SEG_DIRS,
                                                save_label_file,
                                                voc_label_table)
from semples_mmseg.datasets.voc_xml_labels import DIFFICULT

DEFAULT_LISTS = ('ImageSets/Segmentation/trainaug.txt',
                 'ImageSets/Segmentation/val.txt')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write the reference-format VOC label file')
    parser.add_argument('data_root', help='VOC2012 folder')
    parser.add_argument('--lists', nargs='+', default=list(DEFAULT_LISTS),
                        help='id lists (relative to data_root) whose images '
                        'get labels')
    parser.add_argument('--source', choices=SOURCES, default='xml')
    parser.add_argument('--difficult', choices=DIFFICULT, default='include')
    parser.add_argument('--xml-dir', default='Annotations')
    parser.add_argument('--seg-dirs', nargs='+', default=list(VOC_SEG_DIRS))
    parser.add_argument('--out', default='cls_labels.npy')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.data_root):
        raise SystemExit(f'data root {args.data_root} does not exist')
    ids = list(dict.fromkeys(  # the lists' ids in order, once each
        img_id for name in args.lists
        for img_id in read_id_list(osp.join(args.data_root, name))))
    table = voc_label_table(
        args.data_root, ids, source=args.source, xml_dir=args.xml_dir,
        seg_dirs=args.seg_dirs, difficult=args.difficult)
    out = args.out if osp.isabs(args.out) else osp.join(
        args.data_root, args.out)
    save_label_file(out, table)
    back = read_label_file(out, len(VOC_CLASSES) - 1)
    assert back.keys() == table.keys()
    counts = np.sum(list(back.values()), axis=0).astype(int)
    per_class = ', '.join(f'{name} {n}'
                          for name, n in zip(VOC_CLASSES[1:], counts))
    print(f'wrote {out}: {len(back)} images from {args.source} '
          f'({", ".join(args.lists)}); images per class: {per_class}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
