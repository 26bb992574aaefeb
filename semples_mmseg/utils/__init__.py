from .fork_config_paths import register_fork_distributions

__all__ = ['register_fork_distributions']
