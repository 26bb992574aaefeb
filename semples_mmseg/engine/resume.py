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

from ..utils.atomic_files import write_text_atomically

_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def latest_local_checkpoint(work_dir: str) -> Optional[str]:
    """The highest ``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``."""
    if not osp.isdir(work_dir):
        return None
    found = []
    for name in os.listdir(work_dir):
        match = _CKPT_NAME.match(name)
        if match:
            found.append((int(match.group(2)), name))
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
    named = None
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip() or None
    if named is None:
        local = latest_local_checkpoint(work_dir)
        if local is None:
            print_log(f'--resume: nothing to resume in {work_dir} (no '
                      'last_checkpoint, no epoch_*.pth): starting a new run',
                      logger='current', level=logging.WARNING)
            return None
        print_log(f'--resume: {work_dir} has no last_checkpoint file; '
                  f'resuming from its newest checkpoint {local}',
                  logger='current', level=logging.WARNING)
        write_text_atomically(local, pointer)
        return local
    inside = osp.join(work_dir, osp.basename(named))
    if osp.abspath(named) != inside:
        if not osp.isfile(inside):
            raise FileNotFoundError(
                f'--resume: {pointer} names {named}, which is not in this '
                f'work dir, and {inside} does not exist: resume from the '
                'work dir that holds it, or point last_checkpoint at a '
                'checkpoint of this work dir')
        print_log(f'--resume: {pointer} names {named} (the work dir was '
                  f'copied or moved): resuming from {inside} instead',
                  logger='current', level=logging.WARNING)
        write_text_atomically(inside, pointer)
        return inside
    if not osp.isfile(inside):
        raise FileNotFoundError(
            f'--resume: {pointer} names {inside}, which does not exist (with '
            'CheckpointHook max_keep_ckpts=1 mmengine deletes it before '
            'writing the next checkpoint: a kill during that write leaves '
            'none complete; keep max_keep_ckpts >= 2)')
    return inside
