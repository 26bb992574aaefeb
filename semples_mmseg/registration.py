"""Imported by every config's ``custom_imports`` after ``semples_mmseg``.

Importing the package registers everything; this module only proves that
the *package* was imported. A clone of the repository that is itself named
``semples_mmseg``, used from its parent folder, is imported by Python as an
empty namespace package (the repository folder, not the package inside it):
``import semples_mmseg`` then succeeds and registers nothing. In that case
``semples_mmseg.registration`` resolves to the repository's top-level
``registration.py``, which stops with an explanation instead of mmseg's
``KeyError: 'SemPLeSSegmentor is not in the mmseg::model registry'``.
"""
from . import models  # noqa: F401  (registered by the package import)
