"""Config rewriting that lets a real config build without its weight files."""
from typing import Any

WEIGHT_KEYS = ('pretrained', 'checkpoint')


def offline_model_cfg(node: Any) -> Any:
    """Set every ``pretrained`` / ``checkpoint`` value under ``node`` to None.

    Drops ``init_cfg`` dicts of type ``Pretrained``. Works in place on
    dicts (mmengine ConfigDicts included) and lists; returns ``node``.
    """
    if isinstance(node, dict):
        init_cfg = node.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for key in list(node):
            if key in WEIGHT_KEYS and isinstance(node[key], str):
                node[key] = None
            else:
                offline_model_cfg(node[key])
    elif isinstance(node, (list, tuple)):
        for value in node:
            offline_model_cfg(value)
    return node
