"""Tensor and checkpoint helpers of the models (no registered modules)."""
from .checkpoint_state import check_init_state, read_checkpoint_state
from .soft_masks import (labelled_pairs, masked_pair_images,
                         minmax_soft_masks, pair_images, pair_maps,
                         sigmoid_soft_masks)

__all__ = [
    'read_checkpoint_state', 'check_init_state', 'labelled_pairs',
    'masked_pair_images', 'minmax_soft_masks', 'sigmoid_soft_masks',
    'pair_maps', 'pair_images'
]
