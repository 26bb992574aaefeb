"""Tensor utilities shared by the segmentors (no registered modules)."""
from .cam_inference import (CAMInferenceSettings, cams_to_label_map,
                            clims_multiscale_cams, infer_cams,
                            multiscale_flip_cams)
from .soft_masks import (labelled_pairs, masked_pair_images,
                         minmax_soft_masks, pair_images, pair_maps,
                         sigmoid_soft_masks)

__all__ = [
    'CAMInferenceSettings', 'infer_cams', 'multiscale_flip_cams',
    'clims_multiscale_cams', 'cams_to_label_map', 'labelled_pairs',
    'masked_pair_images', 'minmax_soft_masks', 'sigmoid_soft_masks',
    'pair_maps', 'pair_images'
]
