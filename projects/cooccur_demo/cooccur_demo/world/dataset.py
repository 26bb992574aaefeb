"""The written world as an mmseg dataset (VOC layout, the world's classes)."""
from mmseg.registry import DATASETS
from semples_mmseg.datasets import VOCWeakDataset

from .catalog import world_metainfo


@DATASETS.register_module()
class CooccurWorldDataset(VOCWeakDataset):
    """A folder written by ``write_world`` / ``tools/make_world.py``.

    Example::

        CooccurWorldDataset(data_root='data/cooccur_world',
                            ann_file='ImageSets/Segmentation/train.txt',
                            label_file='cls_labels.npy')
    """

    METAINFO = world_metainfo()
