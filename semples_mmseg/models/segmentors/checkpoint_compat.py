"""Strict checkpoint loading for the segmentor, whoever loads it.

mmengine's ``load_checkpoint`` (``load_from``, ``tools/test.py``, mmseg's
``init_model``, ``--resume``) loads non-strictly: a 5-class checkpoint in a
20-class config, or a CLIMS checkpoint in a WeakTr config, only leaves
"size mismatch" lines in the log. ``SemPLeSSegmentor._load_from_state_dict``
calls :func:`check_segmentor_state` first, so every path that loads weights
into the segmentor (also ``model.load_state_dict``) stops with an error
naming the file and the keys.

Optional keys (a checkpoint may lack them, or carry them when the model has
no such part; a warning names them):

* ``prompt_learner.*`` as a whole group: a WeakTr / CLIMS baseline checkpoint
  has no background prompts, and CAM inference never uses them. The prompts
  then keep their initial values; the train loop refuses a run whose
  prompt-using stage (3) would start from them (see
  ``SemPLeSTrainLoop``).
* ``*.num_batches_tracked`` of BatchNorm layers (mmengine ignores them too).

Everything else must match key for key and shape for shape.
"""
import contextvars
import inspect
import logging
from contextlib import contextmanager
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from mmengine.logging import print_log
from torch import Tensor

#: key prefixes (relative to the segmentor) that may be absent or extra
OPTIONAL_GROUPS = ('prompt_learner.', )
#: key suffixes that may be absent
OPTIONAL_SUFFIXES = ('num_batches_tracked', )
#: functions of mmengine / torch whose ``filename`` names the file loaded
_LOADER_FRAMES = ('load_checkpoint', '_load_checkpoint', 'resume',
                  'load_from_local', 'init_model')
_SOURCE: contextvars.ContextVar = contextvars.ContextVar(
    'semples_checkpoint_source', default=None)


class IncompatibleCheckpointError(ValueError):
    """A state dict that does not fit the segmentor (keys or shapes)."""


def checkpoint_file_on_stack() -> Optional[str]:
    """The file being loaded, read from the caller frames' ``filename`` /
    ``checkpoint`` argument (mmengine's loaders and mmseg's ``init_model``);
    None when the state dict does not come through one of them."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name in _LOADER_FRAMES:
                for name in ('filename', 'checkpoint', 'path'):
                    value = frame.f_locals.get(name)
                    if isinstance(value, str):
                        return value
            frame = frame.f_back
    finally:
        del frame
    return None


def _group_of(key: str) -> Optional[str]:
    return next((g for g in OPTIONAL_GROUPS if key.startswith(g)), None)


@contextmanager
def checkpoint_source(path: str) -> Iterator[None]:
    """Name ``path`` in the errors of the loads inside the ``with`` block
    (for callers that load a state dict they read themselves)."""
    token = _SOURCE.set(path)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def check_segmentor_state(own: Mapping[str, Tensor],
                          given: Mapping[str, Tensor],
                          source: Optional[str] = None,
                          owner: str = 'this SemPLeSSegmentor'
                          ) -> Tuple[List[str], List[str]]:
    """Raise :class:`IncompatibleCheckpointError` unless ``given`` fits ``own``.

    Args:
        own: the segmentor's ``state_dict()`` (keys without prefix).
        given: the state dict to load, same key space.
        source: the file it comes from; by default the one named by
            :func:`checkpoint_source`, else found on the call stack.
        owner: what is loaded into, for the message.

    Returns:
        ``(keep, drop)``: keys of ``own`` in optional groups absent from
        ``given`` (they keep their current values), and keys of ``given``
        in optional groups the model does not have (ignored).
    """
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    absent_groups = sorted({
        _group_of(k) for k in missing
        if _group_of(k) and not any(g.startswith(_group_of(k)) for g in given)
    })
    extra_groups = sorted({
        _group_of(k) for k in unexpected
        if _group_of(k) and not any(o.startswith(_group_of(k)) for o in own)
    })
    missing = [
        k for k in missing if _group_of(k) not in absent_groups
        and not k.endswith(OPTIONAL_SUFFIXES)
    ]
    unexpected = [k for k in unexpected if _group_of(k) not in extra_groups]
    wrong = [
        f'{k}: {tuple(given[k].shape)} in the file, {tuple(v.shape)} in the '
        'model' for k, v in own.items()
        if k in given and hasattr(given[k], 'shape')
        and tuple(given[k].shape) != tuple(v.shape)
    ]
    source = (source or _SOURCE.get() or checkpoint_file_on_stack()
              or 'the state dict')
    if missing or unexpected or wrong:
        parts = []
        for what, keys in (('missing', missing), ('unexpected', unexpected),
                           ('shape mismatch', wrong)):
            if keys:
                more = f' (+{len(keys) - 8} more)' if len(keys) > 8 else ''
                parts.append(f'{what} ({len(keys)}): {keys[:8]}{more}')
        raise IncompatibleCheckpointError(
            f'{source} does not fit {owner}: ' +
            '; '.join(parts) + '. Is it a checkpoint of another config '
            '(CAM network, number of classes)? Optional keys: '
            f'{list(OPTIONAL_GROUPS)} (as a whole), *.num_batches_tracked')
    keep = [k for k in own if _group_of(k) in absent_groups]
    drop = [k for k in given if _group_of(k) in extra_groups]
    for group in absent_groups:
        print_log(
            f'{source} has no {group}* weights (a baseline checkpoint?): '
            'they keep their current values', logger='current',
            level=logging.WARNING)
    for group in extra_groups:
        print_log(
            f'{source}: ignoring its {group}* weights (this model has no '
            f'{group[:-1]})', logger='current', level=logging.WARNING)
    return keep, drop


def strip_prefix(state: Mapping[str, Tensor],
                 prefix: str) -> Dict[str, Tensor]:
    """The entries of ``state`` under ``prefix``, with the prefix cut."""
    return {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix)}
