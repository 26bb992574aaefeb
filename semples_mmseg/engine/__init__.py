"""Training machinery: the stage loop, exact resume, hooks, optimizer."""
from . import exact_resume, hooks, loops, optimizers  # noqa: F401
