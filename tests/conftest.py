"""Suite-wide setup: mmseg's default registry scope, as its own tools set it."""
import torch
from mmseg.utils import register_all_modules

import semples_mmseg  # noqa: F401  (registers our modules)

register_all_modules(init_default_scope=True)
torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
