"""Config rewriting that lets a real config build without its weight files."""
from typing import Any


def is_pretrained_init(init_cfg: Any) -> bool:
    """True for an ``init_cfg`` dict of type ``'Pretrained'``."""
    return isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'


def offline_init_cfg(init_cfg: Any) -> Any:
    """``init_cfg`` without weight files: Pretrained entries dropped.

    A single Pretrained dict becomes None, a list loses its Pretrained
    entries (None when none is left), and any ``checkpoint`` key left
    inside becomes None.
    """
    if is_pretrained_init(init_cfg):
        return None
    if isinstance(init_cfg, (list, tuple)):
        kept = [offline_init_cfg(c) for c in init_cfg
                if not is_pretrained_init(c)]
        return kept or None
    if isinstance(init_cfg, dict):
        for key in list(init_cfg):
            if key == 'checkpoint':
                init_cfg[key] = None
            else:
                init_cfg[key] = offline_init_cfg(init_cfg[key])
    return init_cfg


def offline_model_cfg(node: Any) -> Any:
    """Rewrite a model config (in place) so that it loads no weight file.

    Every ``pretrained`` key at any depth becomes None; every ``init_cfg``
    goes through :func:`offline_init_cfg`. Works on dicts (mmengine
    ConfigDicts included) and lists; returns ``node``.
    """
    if isinstance(node, dict):
        for key in list(node):
            if key == 'pretrained':
                node[key] = None
            elif key == 'init_cfg':
                node[key] = offline_init_cfg(node[key])
            else:
                offline_model_cfg(node[key])
    elif isinstance(node, (list, tuple)):
        for value in node:
            offline_model_cfg(value)
    return node
