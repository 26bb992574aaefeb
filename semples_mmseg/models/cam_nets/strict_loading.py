"""All-or-nothing weight loading with an error that says what does not fit."""
from typing import Dict

from torch import Tensor, nn


def load_state_strictly(module: nn.Module, state: Dict[str, Tensor],
                        source: str, owner: str) -> None:
    """``module.load_state_dict(state, strict=True)``, but first name every
    missing, unexpected and wrongly shaped key (up to six of each) together
    with the file ``source`` and the network ``owner``."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [
        f'{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}'
        for k, v in own.items() if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or wrong:
        raise ValueError(
            f'{source} does not fit {owner}: missing {missing[:6]}, '
            f'unexpected {unexpected[:6]}, shape mismatch {wrong[:6]}')
    module.load_state_dict(state, strict=True)
