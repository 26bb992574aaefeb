"""Metrics."""
from .cam_seed_metric import CAMSeedMetric

__all__ = ['CAMSeedMetric']
