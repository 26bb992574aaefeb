"""Metrics."""
from .cam_seed_metric import CAMSeedMetric, select_threshold

__all__ = ['CAMSeedMetric', 'select_threshold']
