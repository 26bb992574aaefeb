"""SemPLeS for mmsegmentation 1.x.

Importing this package registers its datasets, transforms, models, losses,
loops, hooks and metrics into mmseg's registries, and does one thing more
(below).
"""
from .utils.fork_config_paths import register_fork_distributions

# The one import-time action besides registration: on the maintained onedl
# forks, point mmengine at the fork's distribution so that `mmseg::` config
# paths resolve (utils/fork_config_paths.py says why).
register_fork_distributions()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
