"""Which checkpoint ``--resume`` continues from, read from the work dir itself.

mmengine's auto-resume reads ``{work_dir}/last_checkpoint``, which holds the
*absolute* path of the latest checkpoint: a work dir copied or moved
elsewhere would resume from the old location (or fail on a missing file),
and with no checkpoint at all it logs "Auto resumed from the latest
checkpoint None." and silently starts afresh.
"""
import logging
import os
import os.path as osp
import re
from typing import Optional

from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

from ...utils.atomic_files import write_text_atomically

CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def newest_numbered_checkpoint(work_dir: str) -> Optional[str]:
    """The highest ``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``."""
    found = [(int(m.group(2)), name) for name in os.listdir(work_dir)
             for m in [CHECKPOINT_NAME.match(name)] if m]
    return osp.join(work_dir, max(found)[1]) if found else None


def resolve_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint in ``work_dir`` that ``--resume`` must continue from.

    ``last_checkpoint`` naming a file outside ``work_dir`` (the dir was
    copied or moved) is pointed at the file of that name inside it, and
    rewritten so that mmengine's own auto-resume agrees. Without
    ``last_checkpoint`` the newest ``epoch_N.pth`` / ``iter_N.pth`` is used.
    Returns None (and says so in the log) when there is nothing to resume.
    """
    work_dir = osp.abspath(work_dir)
    pointer = osp.join(work_dir, 'last_checkpoint')
    named = find_latest_checkpoint(work_dir) if osp.isfile(pointer) else None
    if not named:
        local = newest_numbered_checkpoint(work_dir) \
            if osp.isdir(work_dir) else None
        if local is None:
            print_log(f'--resume: nothing to resume in {work_dir}: starting '
                      'a new run', logger='current', level=logging.WARNING)
            return None
        print_log(f'--resume: no last_checkpoint in {work_dir}; resuming '
                  f'from {local}', logger='current', level=logging.WARNING)
        write_text_atomically(local, pointer)
        return local
    inside = osp.join(work_dir, osp.basename(named))
    if osp.abspath(named) != inside:
        if not osp.isfile(inside):
            raise FileNotFoundError(
                f'--resume: {pointer} names {named}, which is not in this '
                f'work dir, and {inside} does not exist')
        print_log(f'--resume: {pointer} names {named} (a moved work dir): '
                  f'resuming from {inside}', logger='current',
                  level=logging.WARNING)
        write_text_atomically(inside, pointer)
        return inside
    if not osp.isfile(inside):
        # CheckpointHook(max_keep_ckpts=1) deletes the old file first
        raise FileNotFoundError(
            f'--resume: {pointer} names {inside}, which does not exist '
            '(keep CheckpointHook max_keep_ckpts >= 2)')
    return inside
