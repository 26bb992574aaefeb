"""Pre-flight: every input of a run checked before compute, in seconds.

:func:`check_config_inputs` walks the config *before anything is built* and
raises one :class:`MissingInputsError` listing every missing input with
the config key that names it and where it comes from:

* datasets of ``train_dataloader`` (and each SemPLeS stage's override),
  ``val_dataloader`` / ``test_dataloader``: the folders and files each
  dataset class declares (``required_paths``; mmseg's own datasets:
  ``data_root``, ``ann_file``, image and, where read, mask folders);
* weight files: every ``pretrained`` / ``init_cfg.checkpoint``,
  ``load_from``, ``train_cfg.cam_init_checkpoint``;
* the CLIP source ``model.clip_guide.pretrained``: a local file must exist,
  an open_clip tag must be known for the architecture and, when the
  machine is declared offline (``HF_HUB_OFFLINE=1``), be in the cache.

``purpose='test'`` checks only what inference reads (the test split and
the checkpoint): initial weights and CLIP are not needed there.

Once the model and the datasets are built, ``SemPLeSTrainLoop`` checks its
stages with the functions at the end (class counts, param groups, the
learned prompts a refinement stage needs, the seed mIoU's split).
"""
import copy
import logging
import os
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.config import ConfigDict
from mmengine.logging import print_log

from mmseg.registry import DATASETS, MODELS

WEIGHT_HINTS = {
    'cam_net':
    'the CAM network\'s initial weights: DeiT-S ImageNet '
    '(deit_small_patch16_224-cd65a155.pth) for the WeakTr baseline, the '
    'official WeakTr checkpoint converted by '
    'tools/model_converters/weaktr2semples.py (or your baseline run\'s '
    'checkpoint) for SemPLeS; for CLIMS and SemPLeS on CLIMS, CLIMS\'s '
    'baseline CAM res50_cam.pth converted by '
    'tools/model_converters/clims2semples.py (docs/WEIGHTS.md)',
    'clip_guide':
    'the frozen CLIP: an OpenAI .pt / open_clip state dict, or an open_clip '
    'tag (docs/WEIGHTS.md)',
    'load_from':
    'a checkpoint of this config to start from (load_from / --resume)',
    'cam_init_checkpoint':
    'stage 3\'s initial CAM weights when the run does not start with '
    'stage 1: the baseline CAM checkpoint',
}


class MissingInputsError(FileNotFoundError):
    """Inputs named by a config that are not there (all of them)."""


def _is_remote(path: str) -> bool:
    return '://' in path


def join_root(root: Optional[str], path: Optional[str]) -> Optional[str]:
    """mmseg's rule: relative paths are under ``data_root``."""
    if not path:
        return path
    path = osp.expanduser(str(path))
    if root and not osp.isabs(path) and not _is_remote(path):
        return osp.join(root, path)
    return path


@dataclass(frozen=True)
class InputPath:
    """A folder or file a dataset config reads: its key inside the dataset
    config (``'data_prefix.img_path'``), the path, ``'dir'`` or ``'file'``,
    and what it holds (for the message when it is missing)."""
    key: str
    path: str
    kind: str
    what: str

    def exists(self) -> bool:
        return osp.isdir(self.path) if self.kind == 'dir' else \
            osp.isfile(self.path)


def pipeline_reads_masks(pipeline: Optional[Sequence]) -> bool:
    """Whether a pipeline (transform configs or objects) loads masks."""
    return any('Annotations' in str(
        t.get('type', '') if isinstance(t, dict) else type(t).__name__)
        for t in pipeline or [])


def seg_dataset_inputs(cfg: dict, *, masks_read: bool,
                       default_prefix: Optional[dict] = None,
                       layout: Optional[str] = None) -> List[InputPath]:
    """What an mmseg ``BaseSegDataset`` config reads: ``data_root``,
    ``ann_file``, ``data_prefix.img_path`` and, when ``masks_read``,
    ``data_prefix.seg_map_path``."""
    layout = layout or f"the {cfg.get('type')} layout"
    root = cfg.get('data_root')
    prefix = cfg.get('data_prefix') or default_prefix or {}
    paths = [
        InputPath('data_root', osp.expanduser(str(root or '')), 'dir', layout),
        InputPath('ann_file', join_root(root, cfg.get('ann_file')), 'file',
                  'the id list of the split, one image id per line'),
        InputPath('data_prefix.img_path', join_root(root, prefix.get(
            'img_path')), 'dir', 'the image folder; ' + layout),
    ]
    if masks_read:
        paths.append(InputPath(
            'data_prefix.seg_map_path', join_root(
                root, prefix.get('seg_map_path')), 'dir',
            'the mask folder (read for this split); ' + layout))
    return [p for p in paths if p.path]


def dataset_class(kind: Any) -> Optional[type]:
    """The class a dataset config's ``type`` names (None when unknown)."""
    return DATASETS.get(kind) if isinstance(kind, str) else kind


def dataset_inputs(cfg: dict, *, evaluated: bool) -> List[InputPath]:
    """What the dataset config ``cfg`` reads, as its class declares it
    (``required_paths``); mmseg's own datasets by ``seg_dataset_inputs``.
    ``evaluated``: the split goes to a metric that reads masks."""
    cls = dataset_class(cfg.get('type'))
    if hasattr(cls, 'required_paths'):
        return cls.required_paths(cfg, evaluated=evaluated)
    return seg_dataset_inputs(cfg, masks_read=evaluated or bool(
        cfg.get('masks_required')) or pipeline_reads_masks(
            cfg.get('pipeline')))


def config_datasets(cfg) -> Iterator[Tuple[str, dict, bool]]:
    """(config key, dataset dict, evaluated) of every split the run reads;
    a SemPLeS stage's dataloader override merged as the loop merges it."""
    train = cfg.get('train_dataloader')
    if train and train.get('dataset'):
        yield 'train_dataloader.dataset', train['dataset'], False
        for i, stage in enumerate((cfg.get('train_cfg') or {}).get('stages')
                                  or []):
            override = (stage.get('dataloader') or {}).get('dataset')
            if override:
                merged = ConfigDict(train['dataset'])
                merged.merge(override)
                yield (f'train_cfg.stages[{i}].dataloader.dataset', merged,
                       False)
    for split in ('val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader and loader.get('dataset'):
            # label-free choice (docs/SELECTION.md) reads no masks
            evaluated = not (split == 'val' and (cfg.get('val_cfg') or {})
                             .get('type') == 'HeldOutLossValLoop')
            yield f'{split}_dataloader.dataset', loader['dataset'], evaluated


def leaf_datasets(key: str, dataset: dict) -> Iterator[Tuple[str, dict]]:
    """Dataset wrappers (Concat / Repeat / ...) down to the leaf datasets."""
    if 'datasets' in dataset:
        for i, child in enumerate(dataset['datasets']):
            yield from leaf_datasets(f'{key}.datasets[{i}]', child)
    elif isinstance(dataset.get('dataset'), dict):
        yield from leaf_datasets(f'{key}.dataset', dataset['dataset'])
    else:
        yield key, dataset


def _weight_keys(node: Any, key: str) -> Iterator[Tuple[str, str]]:
    """(config key, file) of every ``pretrained`` / Pretrained checkpoint."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield f'{key}.checkpoint', str(node['checkpoint'])
        for name, value in node.items():
            child = f'{key}.{name}' if key else name
            if name == 'pretrained' and isinstance(value, str):
                yield child, value
            elif name not in ('pretrained', 'checkpoint'):
                yield from _weight_keys(value, child)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _weight_keys(value, f'{key}[{i}]')


def _hint_for(key: str) -> str:
    for part, hint in WEIGHT_HINTS.items():
        if part in key:
            return hint
    return 'a weights file'


def clip_tag_problem(arch: str, tag: str,
                     cache_dir: Optional[str]) -> Optional[str]:
    """Why an open_clip tag cannot be used here, or None when it can."""
    try:
        import open_clip
    except ImportError as exc:
        return f'open_clip cannot be imported ({exc})'
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if tag not in tags:
        return (f'{tag!r} is neither a file nor an open_clip tag of {arch} '
                f'(tags: {tags})')
    offline = os.environ.get('HF_HUB_OFFLINE', '0') not in ('', '0')
    if offline and not clip_tag_cached(arch, tag, cache_dir):
        return (f'the open_clip weights {arch} / {tag!r} are not in the '
                'cache and HF_HUB_OFFLINE is set: download them once on a '
                'machine online, or set clip_guide.pretrained to a local file')
    return None


def clip_tag_cached(arch: str, tag: str, cache_dir: Optional[str]) -> bool:
    """Best effort: is the tag's file in open_clip's URL or HF cache?"""
    try:
        import open_clip
        cfg = open_clip.get_pretrained_cfg(arch, tag)
        url = cfg.get('url')
        if url and osp.isfile(osp.join(
                cache_dir or osp.expanduser('~/.cache/clip'),
                osp.basename(url))):
            return True
        hub = cfg.get('hf_hub')
        if hub:
            from huggingface_hub import try_to_load_from_cache
            repo, name = osp.split(hub.rstrip('/')) if hub.endswith(
                ('.bin', '.safetensors')) else (hub.rstrip('/'), None)
            for filename in ([name] if name else [
                    'open_clip_model.safetensors',
                    'open_clip_pytorch_model.bin']):
                if isinstance(try_to_load_from_cache(
                        repo, filename, cache_dir=cache_dir), str):
                    return True
    except Exception:
        return False
    return False


def collect_missing_inputs(cfg, purpose: str = 'train') -> List[str]:
    """One line (with its hint) per missing input of ``cfg``."""
    if purpose not in ('train', 'test'):
        raise ValueError(f"purpose must be 'train' or 'test', got {purpose!r}")
    problems: Dict[str, List[str]] = {}  # path -> [key, ..., reason, hint]
    contents: Dict[tuple, list] = {}  # problems found -> [keys]

    def report(key: str, path: str, reason: str, hint: str) -> None:
        if path in problems:
            problems[path][0].append(key)
        else:
            problems[path] = [[key], reason, hint]

    def content_problems(key: str, cls: Any, cfg: dict) -> None:
        """What a class finds in the files or settings of its config
        (``input_problems``), said once for the keys that find the same."""
        found = tuple(cls.input_problems(cfg)) if hasattr(
            cls, 'input_problems') else ()
        if found:
            contents.setdefault(found, []).append(key)

    # datasets
    if purpose == 'train':
        splits = list(config_datasets(cfg))
    else:
        loader = cfg.get('test_dataloader')
        splits = [('test_dataloader.dataset', loader['dataset'], True)] \
            if loader and loader.get('dataset') else []
    missing_roots = set()
    for key, dataset, evaluated in splits:
        for leaf_key, leaf in leaf_datasets(key, dict(dataset)):
            complete = True
            for item in dataset_inputs(leaf, evaluated=evaluated):
                path = item.path
                if _is_remote(path) or item.exists():
                    continue
                complete = False
                if any(path.startswith(r + osp.sep) for r in missing_roots):
                    continue  # (below a missing data_root: said once)
                if item.key == 'data_root':
                    missing_roots.add(path.rstrip(osp.sep))
                report(f'{leaf_key}.{item.key}', path,
                       f'{item.kind} does not exist', item.what)
            if complete:
                content_problems(leaf_key, dataset_class(leaf.get('type')),
                                 leaf)
    # weights
    if purpose == 'train':
        model = copy.deepcopy(cfg.get('model') or {})
        clip = model.get('clip_guide') or {}
        clip_src = clip.pop('pretrained', None)
        for key, path in _weight_keys(model, 'model'):
            path = osp.expanduser(path)
            if not _is_remote(path) and not osp.isfile(path):
                report(key, path, 'file does not exist', _hint_for(key))
        if clip and clip_src is not None:
            clip_src = osp.expanduser(str(clip_src))
            is_file = osp.sep in clip_src or osp.splitext(clip_src)[1] in (
                '.pt', '.pth', '.bin', '.safetensors')
            if is_file and not osp.isfile(clip_src):
                report('model.clip_guide.pretrained', clip_src,
                       'file does not exist', WEIGHT_HINTS['clip_guide'])
            elif not is_file and not clip.get('model_cfg'):
                why = clip_tag_problem(
                    clip.get('arch', 'ViT-B-32'), clip_src,
                    clip.get('cache_dir'))
                if why:
                    report('model.clip_guide.pretrained', clip_src, why,
                           WEIGHT_HINTS['clip_guide'])
        cam_init = (cfg.get('train_cfg') or {}).get('cam_init_checkpoint')
        if cam_init and not osp.isfile(osp.expanduser(cam_init)):
            report('train_cfg.cam_init_checkpoint', cam_init,
                   'file does not exist', WEIGHT_HINTS['cam_init_checkpoint'])
    load_from = cfg.get('load_from')
    if load_from and not _is_remote(load_from) and \
            not osp.isfile(osp.expanduser(load_from)):
        report('load_from' if purpose == 'train' else 'checkpoint',
               load_from, 'file does not exist', WEIGHT_HINTS['load_from'])
    if purpose == 'train':  # e.g. CLIP class texts too long
        for name, part in (cfg.get('model') or {}).items():
            if isinstance(part, dict) and isinstance(part.get('type'), str):
                content_problems(f'model.{name}', MODELS.get(part['type']),
                                 part)
    lines = [
        f"  - {', '.join(keys)} = {_with_absolute(path)}: {reason}\n"
        f'      ({hint})' for path, (keys, reason, hint) in problems.items()
    ]
    for found, keys in contents.items():
        lines.append(f"  - {', '.join(keys)}: {len(found)} problem(s):\n"
                     + '\n'.join(f'      {line}' for line in found))
    return lines


def _with_absolute(path: str) -> str:
    return path if osp.isabs(path) else f'{path} (= {osp.abspath(path)})'


def check_config_inputs(cfg, purpose: str = 'train',
                        name: Optional[str] = None) -> None:
    """Raise :class:`MissingInputsError` naming every missing input at once.

    Args:
        cfg: the merged mmengine Config (``--cfg-options`` applied).
        purpose: ``'train'`` (everything a training run reads) or
            ``'test'`` (the test split and ``load_from``).
        name: how to call the config in the message (its file name).
    """
    lines = collect_missing_inputs(cfg, purpose)
    if lines:
        name = name or getattr(cfg, 'filename', None) or 'the config'
        raise MissingInputsError(
            f'{len(lines)} input(s) of {name} are missing or wrong (checked '
            'before building anything; fix them all, or override the paths '
            'with --cfg-options KEY=PATH):\n' + '\n'.join(lines))
    print_log(f'pre-flight: every input of {name or "the config"} is there',
              logger='current', level=logging.DEBUG)


# ---------------------------------------------------------------------------
# the built run (SemPLeSTrainLoop), before its first iteration


def check_stage_datasets(stages: Sequence[Tuple[int, Any]],
                         num_classes: Optional[int]) -> None:
    """Each (stage number, dataset) has ``num_classes`` + background."""
    for stage, dataset in stages:
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if num_classes is not None and classes is not None and \
                len(classes) - 1 != num_classes:
            raise ValueError(f'stage {stage}: the dataset has '
                             f'{len(classes) - 1} classes, the CAM network '
                             f'{num_classes}')


def check_prompt_source(stages: Sequence[Tuple[int, Sequence[str]]], *,
                        load_from: Optional[str], resume: bool) -> None:
    """A refinement stage needs learned prompts: from a stage before it (or
    itself, joint), the resumed checkpoint, or ``load_from``."""
    for index, (stage, losses) in enumerate(stages):
        if 'refine' not in losses:
            continue
        if resume or any('prompt' in s[1] for s in stages[:index + 1]):
            return
        keys = set()
        if load_from:
            ckpt = torch.load(load_from, map_location='cpu', mmap=True,
                              weights_only=False)
            keys = set(ckpt.get('state_dict', ckpt))
        if not any(k.startswith('prompt_learner.') for k in keys):
            raise ValueError(
                f'stage {stage} refines against learned prompts, but no '
                'stage of this run learns them and load_from '
                f"({load_from or 'not set'}) has no prompt_learner.* weights")
        return


def check_param_groups(stage: int, lrs: Dict[str, float],
                       param_groups: Sequence[dict]) -> None:
    """The optimizer has a param group for every group a stage trains."""
    groups = [g.get('name') for g in param_groups]
    if set(lrs) - set(groups):
        raise ValueError(f'stage {stage} sets lr for {sorted(lrs)}, the '
                         f'optimizer\'s param groups are {groups} (use '
                         "constructor='StageParamGroupsConstructor')")


def check_validation_split(dataset, *, patch_size: Optional[int],
                           min_scale: float) -> None:
    """Every image of the split the seed mIoU reads has its mask and is at
    least one ``patch_size`` patch at the smallest test scale."""
    if not hasattr(dataset, 'get_data_info'):
        return
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    no_mask = [d['img_path'] for d in infos
               if d.get('seg_map_path', '') is None]
    if no_mask:
        raise FileNotFoundError(f'{len(no_mask)} validation image(s) have no '
                                f'mask (the seed mIoU needs it): '
                                f'{no_mask[:5]}')
    small = [f"{d['img_path']} ({d['scan_shape'][0]} x {d['scan_shape'][1]})"
             for d in infos if patch_size and 'scan_shape' in d
             and min(d['scan_shape']) * min_scale < patch_size]
    if small:
        raise ValueError(f'{len(small)} validation image(s) are smaller than '
                         f'one {patch_size} x {patch_size} patch at test '
                         f'scale {min_scale}: {small[:5]}')
