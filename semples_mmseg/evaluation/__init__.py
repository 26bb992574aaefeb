"""Metrics."""
from .cam_seed_metric import CAMSeedMetric, select_threshold
from .held_out_loss_metric import HeldOutLossMetric

__all__ = ['CAMSeedMetric', 'HeldOutLossMetric', 'select_threshold']
