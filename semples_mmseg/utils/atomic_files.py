"""Files written whole or not at all, and full disks that name the file.

Every file this project writes goes to a temporary name in the same folder
and is renamed over the target (``os.replace`` is atomic on POSIX), so a
kill, a crash or a full disk never leaves a half-written file under the
real name. A full disk is reported with the file that did not fit, that
the disk is full and what to do.
"""
import errno
import json
import os
import os.path as osp
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import numpy as np
import torch


class DiskFullError(OSError):
    """``No space left on device`` while writing a named file (its
    ``filename``; it travels through pickling, e.g. from worker
    processes)."""


#: what a full-disk message says to do when the caller says nothing more
RERUN = 'rerun, with --resume where the tool has it'


def full_disk_error(exc: OSError, path: str,
                    rerun: str = RERUN) -> DiskFullError:
    """The ``OSError`` of a full disk, reworded to name ``path``, say that
    the disk is full and what to do (``rerun``)."""
    return DiskFullError(
        errno.ENOSPC, f'No space left on device while writing {path}: the '
        f'disk is full. Free some space in '
        f'{osp.dirname(osp.abspath(path))}, then {rerun}', path)


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it replaces
    ``path``, on any error it is deleted (and a full disk names ``path``).

    The temporary name keeps the extension (``x.png`` -> ``x.tmp123.png``),
    so writers that pick the format from it still work.
    """
    stem, ext = osp.splitext(path)
    tmp = f'{stem}.tmp{os.getpid()}{ext}'
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        if osp.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC \
                and not isinstance(exc, DiskFullError):
            raise full_disk_error(exc, path) from exc
        raise


def torch_save_atomically(obj: Any, path: str) -> None:
    """``torch.save(obj, path)``, atomically."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def np_save_atomically(array: Any, path: str) -> None:
    """``np.save`` of ``array`` (or a pickled dict) to ``path``, atomically;
    ``path`` is kept as given (no ``.npy`` appended)."""
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, array)


def write_text_atomically(text: str, path: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)


def write_json_atomically(obj: Any, path: str,
                          indent: Optional[int] = 1) -> None:
    write_text_atomically(json.dumps(obj, indent=indent) + '\n', path)


def file_named_in(exc: BaseException) -> Optional[str]:
    """The file an ``OSError`` was about: its ``filename``, or a path found
    in the locals of the innermost frames of its traceback (mmengine's
    ``LocalBackend.put(obj, filepath)``, ``open(path)``)."""
    if getattr(exc, 'filename', None):
        return str(exc.filename)
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for name in ('filepath', 'filename', 'path', 'file', 'f'):
            value = frame.f_locals.get(name)
            value = getattr(value, 'name', value)
            if isinstance(value, str) and (osp.sep in value
                                           or osp.splitext(value)[1]):
                return value
    return None


@contextmanager
def naming_full_disk(where: str = '',
                     rerun: Optional[str] = None) -> Iterator[None]:
    """Reword a ``No space left on device`` raised inside the block so that
    it names the file being written (or at least ``where``); ``rerun``: what
    the message says to do (e.g. a tool's ``--resume``), also for a
    :class:`DiskFullError` raised inside."""
    try:
        yield
    except DiskFullError as exc:
        if rerun is None:
            raise
        raise full_disk_error(exc, exc.filename or where, rerun) from exc
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        path = file_named_in(exc) or where or 'an output file'
        raise full_disk_error(exc, path, rerun or RERUN) from exc


#: what an export tool's full-disk message says
RESUME = ('run the same command again with --resume: the files written '
          'so far are kept')


@contextmanager
def exit_on_full_disk(where: str, rerun: str = RESUME) -> Iterator[None]:
    """For a tool's loop of writes: a full disk inside the block ends the
    process with one message and no traceback (``SystemExit``): the file,
    that the disk is full, and ``rerun`` (by default: ``--resume``
    continues)."""
    try:
        with naming_full_disk(where, rerun=rerun):
            yield
    except DiskFullError as exc:
        raise SystemExit(exc.strerror) from None
