"""Not the package: imported only by mistake, to say what went wrong.

The configs' ``custom_imports`` import ``semples_mmseg`` and then
``semples_mmseg.registration``. When this repository's folder is itself
named ``semples_mmseg`` and Python runs from the folder above it, the
folder is imported as an empty namespace package instead of the package it
contains, and ``semples_mmseg.registration`` is this file: nothing of
semples_mmseg is registered, so stop here with what to do. (Not an
ImportError: mmengine's custom_imports would replace it by "set PYTHONPATH".)
"""
import os.path as osp


class ClonedFolderImportedError(RuntimeError):
    """``semples_mmseg`` resolved to the repository folder, not the package."""


_clone = osp.dirname(osp.abspath(__file__))
raise ClonedFolderImportedError(
    f"'semples_mmseg' was imported from the repository folder {_clone} "
    '(an empty namespace package: Python found the clone, named like the '
    'package, in the current folder) instead of the package inside it, '
    f"{osp.join(_clone, 'semples_mmseg')}; nothing of semples_mmseg is "
    'registered, so building a config would fail with "SemPLeSSegmentor is '
    'not in the mmseg::model registry". Run from inside the clone '
    f'(cd {_clone}) or from any folder that does not contain it, with the '
    f'package installed (pip install -e {_clone}), or rename the clone.')
