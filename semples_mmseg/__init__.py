"""SemPLeS for mmsegmentation 1.x.

Importing this package registers every module (datasets, transforms, models,
losses, loops, hooks, metrics) into mmseg's registries.
"""
from .utils import check_openmmlab_stack, register_fork_distributions
from .utils.upstream_noise import import_mmseg_quietly

check_openmmlab_stack()
register_fork_distributions()  # 'mmseg::' config paths on onedl forks
import_mmseg_quietly()  # two meaningless upstream start-up messages filtered

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
