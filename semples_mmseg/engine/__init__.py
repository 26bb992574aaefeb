"""Training machinery: the three-stage loop, optimizer constructor, hooks."""
from . import hooks, loops, optimizers, schedulers  # noqa: F401
