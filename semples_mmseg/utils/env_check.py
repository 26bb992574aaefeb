"""One import-time check that the OpenMMLab stack is importable."""
import importlib

# module name -> (maintained fork package, classic package)
_STACK = {
    'mmengine': ('onedl-mmengine', 'mmengine'),
    'mmcv': ('onedl-mmcv', 'mmcv'),
    'mmseg': ('onedl-mmsegmentation', 'mmsegmentation'),
}


def check_openmmlab_stack() -> None:
    """Raise an ImportError naming what to install if a stack module is missing.

    Only importability is checked: no version pins, so the next release of
    either stack keeps working.
    """
    missing = []
    for module, (fork, classic) in _STACK.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:  # keep the real cause visible
            missing.append(f'  {module}: {exc!r} -> pip install {fork} '
                           f'(or the classic {classic})')
    if missing:
        raise ImportError(
            'semples_mmseg needs the OpenMMLab stack; could not import:\n' +
            '\n'.join(missing) +
            '\nInstall it with `pip install -e ".[onedl]"` (maintained '
            'forks) or `pip install -e ".[classic]"` (mmsegmentation 1.2.2).')
