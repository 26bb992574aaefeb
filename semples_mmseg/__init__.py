"""SemPLeS for mmsegmentation 1.x.

Importing this package registers its datasets, transforms, models, losses,
loops, hooks and metrics into mmseg's registries, and does two things more
(below).
"""
from .utils.fork_config_paths import register_fork_distributions
from .utils.thread_policy import set_openmp_defaults

# The two import-time actions besides registration. Before anything below
# imports torch: OMP_NUM_THREADS / OMP_WAIT_POLICY defaults where the user
# set none and torch is not loaded yet (utils/thread_policy.py: OpenMP reads
# them once, when torch loads it). On the maintained onedl forks, point
# mmengine at the fork's distribution so that `mmseg::` config paths
# resolve (utils/fork_config_paths.py says why).
set_openmp_defaults()
register_fork_distributions()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
