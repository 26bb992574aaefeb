"""Learning-rate schedules mmengine does not have."""
from .relative_floor_poly_lr import RelativeFloorPolyLR

__all__ = ['RelativeFloorPolyLR']
