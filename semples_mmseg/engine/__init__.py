"""Training machinery: the stage loop, exact resume, hooks, optimizer,
schedulers."""
from . import exact_resume, hooks, loops, optimizers, schedulers  # noqa: F401
