"""What a command-line tool reads first: its config and its list dataset.

Every tool that works over the images of an id list does the same: load the
config, merge ``--cfg-options``, take one dataset config out of it
(``test_dataloader.dataset``, IRNet's ``pseudo_mask_dataset`` ...), point it
at another list with ``--ann-file`` and build it. :func:`load_config` and
:func:`build_list_dataset` are that, once. mmengine gives the parts
(``Config.fromfile``, ``Config.merge_from_dict``); mmseg's ``DATASETS``
builds.

A dataset a tool cannot use ends the process with one line naming the id
list (``SystemExit``, as the tools' other input errors do), before any
model or image is read.
"""
from typing import Mapping, Optional

from mmengine.config import Config
from mmengine.dataset import BaseDataset

from mmseg.registry import DATASETS


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile(path)`` with ``cfg_options`` merged (the dict
    mmengine's ``DictAction`` makes of ``--cfg-options``; None: none)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_list_dataset(dataset_cfg: Mapping,
                       *,
                       ann_file: Optional[str] = None,
                       data_root: Optional[str] = None,
                       image_labels_for: Optional[str] = None) -> BaseDataset:
    """Build ``dataset_cfg`` (left unchanged) from the registry.

    Args:
        dataset_cfg: a dataset config, e.g. ``cfg.test_dataloader.dataset``.
        ann_file: the id list to use instead of the config's (``--ann-file``;
            relative to ``data_root`` as in the config).
        data_root: the data folder to use instead of the config's.
        image_labels_for: what the tool makes of the image-level labels
            (``'pseudo masks'``); given, every sample must carry
            ``img_labels``, else ``SystemExit`` naming the id list.

    Returns:
        The built dataset.
    """
    dataset_cfg = dict(dataset_cfg)
    if ann_file:
        dataset_cfg['ann_file'] = ann_file
    if data_root:
        dataset_cfg['data_root'] = data_root
    dataset = DATASETS.build(dataset_cfg)
    if image_labels_for and any(
            dataset.get_data_info(i).get('img_labels') is None
            for i in range(len(dataset))):
        id_list = getattr(dataset, 'ann_file', None) or \
            dataset_cfg.get('ann_file')
        raise SystemExit(f'{id_list}: the dataset gives no image labels '
                         f'(img_labels); {image_labels_for} need the GT '
                         'image-level labels')
    return dataset
