"""Where the frozen CLIP comes from: an open_clip tag, a local file or none.

open_clip builds the model (``open_clip.create_model(arch, pretrained=tag)``
or ``open_clip.CLIP(**model_cfg)``) and reads state-dict files
(``open_clip.factory.load_state_dict``: ``state_dict`` nesting, ``module.``,
safetensors). What is ours: OpenAI's TorchScript releases are read with
``torch.jit``, and which MLP activation (QuickGELU or GELU) a file needs.
"""
import os.path as osp
import zipfile
from typing import Dict, Optional

import open_clip
import torch
from mmengine.logging import print_log
from open_clip.factory import load_state_dict as read_open_clip_state
from torch import Tensor

# entries only OpenAI's released weights carry: the TorchScript archives
# store them among their tensors, and so does a state dict saved from a
# loaded archive (open_clip's own state dicts never hold them)
OPENAI_ONLY_KEYS = ('input_resolution', 'context_length', 'vocab_size')


def is_torchscript_archive(path: str) -> bool:
    """True for OpenAI's released ``.pt`` files (TorchScript zip archives)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith('constants.pkl') for n in archive.namelist())


def weights_file(pretrained: Optional[str]) -> Optional[str]:
    """``pretrained`` as a file path, or None for a tag / random weights."""
    if pretrained is None:
        return None
    path = osp.expanduser(pretrained)
    if (osp.isfile(path) or osp.sep in path or osp.splitext(path)[1]
            in ('.pt', '.pth', '.bin', '.safetensors')):
        return path
    return None


def check_clip_source(*, arch: Optional[str], model_cfg: Optional[dict],
                      pretrained: Optional[str],
                      quick_gelu: Optional[bool]) -> None:
    """Configuration errors that need no file (raised at construction)."""
    is_file = weights_file(pretrained) is not None
    if model_cfg is not None:
        if pretrained is not None and not is_file:
            raise ValueError(f'pretrained={pretrained!r} with model_cfg: a '
                             'custom CLIP takes a weights file or None')
        inner = model_cfg.get('quick_gelu')
        if None not in (inner, quick_gelu) and bool(inner) != quick_gelu:
            raise ValueError(f'model_cfg.quick_gelu={inner} and quick_gelu='
                             f'{quick_gelu} disagree: set one of them')
        return
    if arch not in open_clip.list_models():
        raise ValueError(f'arch={arch!r} is not an open_clip model; give '
                         'model_cfg for a custom CLIP')
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if pretrained is not None and not is_file and pretrained not in tags:
        raise ValueError(f'{pretrained!r} is neither a file nor an open_clip '
                         f'tag of {arch}; tags: {tags}')


def read_clip_weights(path: str) -> Dict[str, Tensor]:
    """The state dict of a CLIP weights file (OpenAI's extra entries kept:
    they tell the format); a read failure names the file."""
    try:
        if is_torchscript_archive(path):
            return torch.jit.load(path, map_location='cpu').state_dict()
        return read_open_clip_state(path, device='cpu', weights_only=True)
    except Exception as exc:
        raise ValueError(f'could not read CLIP weights {path}: {exc}') from exc


def quick_gelu_for(*, arch: Optional[str], pretrained: Optional[str],
                   path: Optional[str], state: Optional[Dict[str, Tensor]],
                   quick_gelu: Optional[bool]) -> bool:
    """The MLP activation to build for these weights.

    An explicit ``quick_gelu`` wins. A tag gets what open_clip records for
    it (QuickGELU for ``'openai'``), random weights GELU. A file is OpenAI's
    (QuickGELU) when it is a TorchScript archive or holds
    ``OPENAI_ONLY_KEYS``; any other state dict cannot tell (open_clip and
    OpenAI name every weight alike, and the wrong activation changes every
    embedding), so it is refused.
    """
    if quick_gelu is not None:
        return bool(quick_gelu)
    if path is None:
        tag = {} if pretrained is None else open_clip.get_pretrained_cfg(
            arch, pretrained)
        return bool(tag.get('quick_gelu', False))
    if is_torchscript_archive(path) or any(k in state
                                           for k in OPENAI_ONLY_KEYS):
        return True
    raise ValueError(
        f'CLIP weights {path} are a plain state dict, which does not say its '
        'activation: set clip_guide.quick_gelu=True for OpenAI weights or '
        'clip_guide.quick_gelu=False for GELU models (LAION, ...)')


def build_clip(*, arch: Optional[str], model_cfg: Optional[dict],
               pretrained: Optional[str], quick_gelu: Optional[bool],
               cache_dir: Optional[str]) -> open_clip.CLIP:
    """The open_clip model of ``arch`` (or ``model_cfg``) with the weights
    of ``pretrained`` (tag, file or None), loaded strictly."""
    path = weights_file(pretrained)
    if path is not None and not osp.isfile(path):
        raise FileNotFoundError(f'CLIP weights file {path} does not exist '
                                '(clip_guide.pretrained)')
    state = None if path is None else read_clip_weights(path)
    if model_cfg is not None and quick_gelu is None:
        quick_gelu = model_cfg.get('quick_gelu')
    quick_gelu = quick_gelu_for(arch=arch, pretrained=pretrained, path=path,
                                state=state, quick_gelu=quick_gelu)
    if model_cfg is not None:
        clip = open_clip.CLIP(**dict(model_cfg, quick_gelu=quick_gelu))
    else:
        tag = None if path is not None else pretrained
        try:
            clip = open_clip.create_model(
                arch, pretrained=tag, force_quick_gelu=quick_gelu,
                cache_dir=cache_dir)
        except Exception as exc:
            raise RuntimeError(
                f'could not build CLIP {arch} with weights {tag!r} (open_clip '
                f'cache: {cache_dir or "default"}): {exc}') from exc
    if not isinstance(clip, open_clip.CLIP):
        raise ValueError(f'{arch} builds a {type(clip).__name__}; '
                         'FrozenCLIPGuide needs an open_clip.CLIP')
    if state is None:
        print_log(f'FrozenCLIPGuide: CLIP weights {pretrained!r}',
                  logger='current')
        return clip
    # TorchScript archives store every buffer, also those the model
    # rebuilds itself (the causal mask): not weights
    rebuilt = {n for n, _ in clip.named_buffers()} - set(clip.state_dict())
    state = {k: v for k, v in state.items()
             if k not in rebuilt and k not in OPENAI_ONLY_KEYS}
    try:
        clip.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        target = arch if model_cfg is None else 'model_cfg'
        raise ValueError(f'CLIP weights {path} do not fit {target}: {exc}') \
            from exc
    print_log(f'FrozenCLIPGuide: loaded {path} (QuickGELU: {quick_gelu})',
              logger='current')
    return clip


def build_tokenizer(arch: Optional[str], model_cfg: Optional[dict]):
    """open_clip's tokenizer of ``arch``, or a plain one for ``model_cfg``."""
    if model_cfg is None:
        return open_clip.get_tokenizer(arch)
    context = model_cfg.get('text_cfg', {}).get('context_length', 77)
    return open_clip.SimpleTokenizer(context_length=context)
