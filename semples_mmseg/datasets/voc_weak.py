"""PASCAL VOC 2012 + SBD ("train_aug") with image-level labels."""
from mmseg.registry import DATASETS
from .class_names import VOC_CLASSES, VOC_PALETTE, VOC_PROMPT_NAMES
from .weak_seg_dataset import WeakLabelSegDataset


@DATASETS.register_module()
class VOCWeakDataset(WeakLabelSegDataset):
    """VOC layout: ``JPEGImages/``, ``SegmentationClassAug/`` (or
    ``SegmentationClass/``), id lists (``train_aug.txt``, ``train.txt``,
    ``val.txt``) and optionally the reference's ``cls_labels.npy``.

    Example::

        VOCWeakDataset(data_root='data/VOCdevkit/VOC2012',
                       ann_file='ImageSets/Segmentation/train_aug.txt',
                       label_file='cls_labels.npy')

    Metainfo ``classes`` includes background (mmseg convention);
    ``prompt_classes`` are the K names put into CLIP's class texts.
    """

    METAINFO = dict(
        classes=VOC_CLASSES,
        palette=VOC_PALETTE,
        prompt_classes=VOC_PROMPT_NAMES)

    def __init__(self,
                 *,
                 ann_file: str,
                 data_root: str,
                 label_file=None,
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            label_file=label_file,
            data_prefix=data_prefix,
            img_suffix='.jpg',
            seg_map_suffix='.png',
            **kwargs)
