"""Let ``mmseg::`` / ``mmdet::`` config paths resolve on the maintained forks.

mmengine finds the configs shipped inside a package through the package's
*distribution* name (``mmseg`` -> ``mmsegmentation``). The maintained forks
are distributed as ``onedl-mmsegmentation`` / ``onedl-mmdetection`` while
importing as ``mmseg`` / ``mmdet``, so ``mmseg::...`` fails with "mmsegmentation
is not installed". When only a fork is installed, this points mmengine's
module -> distribution map at it. ``import semples_mmseg`` does it (the
package's one import-time action besides registration), so a tool that
imports the package before ``Config.fromfile`` reads ``mmseg::`` paths.
"""
from importlib.metadata import PackageNotFoundError, version

FORKS = {
    'mmseg': ('mmsegmentation', 'onedl-mmsegmentation'),
    'mmdet': ('mmdet', 'onedl-mmdetection'),
    'mmpretrain': ('mmpretrain', 'onedl-mmpretrain'),
}


def _installed(dist: str) -> bool:
    try:
        version(dist)
        return True
    except PackageNotFoundError:
        return False


def register_fork_distributions() -> dict:
    """Map each module to the fork's distribution where only the fork is
    installed; returns what was changed."""
    from mmengine.config import utils as config_utils
    changed = {}
    for module, (classic, fork) in FORKS.items():
        if not _installed(classic) and _installed(fork):
            config_utils.MODULE2PACKAGE[module] = fork
            changed[module] = fork
    return changed
