"""Strict checkpoint loading for the segmentor, whoever loads it.

mmengine's ``load_checkpoint`` (``load_from``, ``tools/test.py``, mmseg's
``init_model``, ``--resume``) loads non-strictly: a 5-class checkpoint in a
20-class config only leaves "size mismatch" lines in the log. The
segmentor's ``_load_from_state_dict`` calls :func:`check_segmentor_state`
first, so every load into it stops with the keys at fault; the callers that
know the file (our tools, ``load_segmentor``, the train loop) name it with
:meth:`IncompatibleCheckpointError.naming`.

Optional keys: ``prompt_learner.*`` as a whole group (a WeakTr / CLIMS
baseline checkpoint has no prompts; they then keep their values, with a
warning) and BatchNorm ``*.num_batches_tracked``. Everything else must
match key for key and shape for shape.
"""
import logging
from typing import List, Mapping, Optional, Tuple

from mmengine.logging import print_log
from torch import Tensor

#: key prefixes (relative to the segmentor) that may be absent or extra
OPTIONAL_GROUPS = ('prompt_learner.', )
#: key suffixes that may be absent
OPTIONAL_SUFFIXES = ('num_batches_tracked', )


class IncompatibleCheckpointError(ValueError):
    """A state dict that does not fit a model: its keys or shapes."""

    def __init__(self, problems: str, source: Optional[str], owner: str):
        self.problems, self.source, self.owner = problems, source, owner
        super().__init__(f"{source or 'the checkpoint'} does not fit "
                         f'{owner}: {problems}')

    def naming(self, source: str) -> 'IncompatibleCheckpointError':
        """The same error naming ``source``, unless it names a file already."""
        if self.source is not None:
            return self
        return IncompatibleCheckpointError(self.problems, source, self.owner)


def _group_of(key: str) -> Optional[str]:
    return next((g for g in OPTIONAL_GROUPS if key.startswith(g)), None)


def _listed(what: str, keys: List[str]) -> str:
    more = f' (+{len(keys) - 8} more)' if len(keys) > 8 else ''
    return f'{what} ({len(keys)}): {keys[:8]}{more}'


def check_segmentor_state(own: Mapping[str, Tensor],
                          given: Mapping[str, Tensor],
                          source: Optional[str] = None,
                          owner: str = 'this SemPLeSSegmentor'
                          ) -> Tuple[List[str], List[str]]:
    """Raise :class:`IncompatibleCheckpointError` unless ``given`` fits.

    Args:
        own: the model's ``state_dict()`` (keys without prefix).
        given: the state dict to load, same key space.
        source: the file it comes from, if the caller knows it.
        owner: what is loaded into, for the message.

    Returns:
        ``(keep, drop)``: keys of ``own`` in optional groups absent from
        ``given`` (they keep their current values), and keys of ``given``
        in optional groups the model does not have (ignored).
    """
    absent = {_group_of(k) for k in own} - {_group_of(k) for k in given}
    extra = {_group_of(k) for k in given} - {_group_of(k) for k in own}
    absent.discard(None)
    extra.discard(None)
    missing = [k for k in own if k not in given and _group_of(k) not in absent
               and not k.endswith(OPTIONAL_SUFFIXES)]
    unexpected = [k for k in given
                  if k not in own and _group_of(k) not in extra]
    wrong = [
        f'{k}: {tuple(given[k].shape)} in the file, {tuple(v.shape)} in the '
        'model' for k, v in own.items()
        if k in given and tuple(given[k].shape) != tuple(v.shape)
    ]
    problems = [_listed(what, keys) for what, keys in (
        ('missing', missing), ('unexpected', unexpected),
        ('shape mismatch', wrong)) if keys]
    if problems:
        raise IncompatibleCheckpointError('; '.join(problems), source, owner)
    for group in sorted(absent):
        print_log(f"{source or 'the checkpoint'} has no {group}* weights: "
                  'they keep their current values', logger='current',
                  level=logging.WARNING)
    for group in sorted(extra):
        print_log(f"{source or 'the checkpoint'}: ignoring its {group}* "
                  'weights (this model has none)', logger='current',
                  level=logging.WARNING)
    return ([k for k in own if _group_of(k) in absent],
            [k for k in given if _group_of(k) in extra])
