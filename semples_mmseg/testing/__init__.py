"""Small on-disk fixtures for tests and examples (no downloads)."""
from .voc_layout import make_voc_fixture

__all__ = ['make_voc_fixture']
