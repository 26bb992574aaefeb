"""Output folders that exist on every rank before any rank writes into them.

mmseg's ``IoUMetric`` creates its ``output_dir`` on the main process only,
so in a multi-process run another rank can reach its first write before
the folder exists. :func:`prepare_output_dirs` is called by every rank at
the same point, before anything is computed: each rank creates the folders
itself, the main process may run one more step (e.g. record an export's
settings in the folder), then one all-gather tells every rank what failed
on any rank. A failure is raised on every rank as :class:`OutputDirError`
naming the folder, so no rank is left waiting on a collective that a failed
rank never reaches.
"""
import errno
import os
import os.path as osp
from typing import Callable, List, Optional, Tuple

from mmengine.dist import all_gather_object, get_dist_info


class OutputDirError(RuntimeError):
    """An output folder that cannot be created or used (raised on every
    rank)."""


def make_output_dir(path: str) -> None:
    """Create ``path`` and its parents on this process; an error names the
    folder and why (a file in its place, no permission, ...)."""
    try:
        os.makedirs(path, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = path
        while blocker and not osp.exists(blocker):
            blocker = osp.dirname(blocker)
        where = 'a file is in its place' if blocker == path else \
            f'{blocker} is a file'
        raise OutputDirError(
            f'cannot create the output folder {path}: {where}') from None
    except OSError as exc:
        reason = 'no permission' if exc.errno in (
            errno.EACCES, errno.EPERM, errno.EROFS) else exc.strerror
        raise OutputDirError(f'cannot create the output folder {path}: '
                             f'{reason}') from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputDirError(f'the output folder {path} is not writable')


def _failures_by_message(failures: List[Tuple[int, str]],
                         world: int) -> str:
    ranks = {}
    for rank, message in failures:
        ranks.setdefault(message, []).append(rank)
    if world == 1:
        return '; '.join(ranks)
    return '; '.join(f'{message} (rank {", ".join(map(str, where))})'
                     for message, where in ranks.items())


def prepare_output_dirs(
        *dirs: Optional[str],
        main_process_step: Optional[Callable[[], None]] = None) -> None:
    """Create ``dirs`` (None entries are skipped) on every rank, run
    ``main_process_step`` on rank 0 once they exist, then agree.

    Every rank of a distributed run must call it at the same point (it holds
    one collective); without a process group it is the plain version.

    Raises:
        OutputDirError: on every rank, when any rank failed to create a
            folder or the main-process step raised; the message names the
            folder (or repeats the step's error) and the ranks.
    """
    rank, world = get_dist_info()
    failure = None
    try:
        for path in dirs:
            if path is not None:
                make_output_dir(path)
        if main_process_step is not None and rank == 0:
            main_process_step()
    except OutputDirError as exc:
        failure = str(exc)
    except Exception as exc:  # the step's own check, shared with all ranks
        failure = str(exc) or type(exc).__name__
    failures = [(r, message)
                for r, message in enumerate(all_gather_object(failure))
                if message is not None]
    if failures:
        raise OutputDirError(_failures_by_message(failures, world))
