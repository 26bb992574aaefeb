from .env_check import check_openmmlab_stack
from .openmmlab_configs import register_fork_distributions

__all__ = ['check_openmmlab_stack', 'register_fork_distributions']
