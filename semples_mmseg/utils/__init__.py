from .env_check import check_openmmlab_stack

__all__ = ['check_openmmlab_stack']
