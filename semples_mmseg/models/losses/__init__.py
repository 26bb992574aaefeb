"""Losses: one per file, each a ``NamedLoss`` registered in mmseg's MODELS."""
from .balanced_cross_entropy import BalancedCrossEntropyLoss
from .cam_area import CAMAreaLoss
from .cam_classification import CAMClassificationLoss
from .clims_background_suppression import CLIMSBackgroundSuppressionLoss
from .contrastive_prompt import ContrastivePromptLoss
from .gradient_clipping_loss import GradientClippingLoss
from .prompt_refinement import PromptRefinementLoss
from .segment_label_matching import SegmentLabelMatchingLoss
from .weaktr_classification import WeakTrClassificationLoss

__all__ = [
    'SegmentLabelMatchingLoss', 'ContrastivePromptLoss', 'PromptRefinementLoss',
    'WeakTrClassificationLoss', 'CLIMSBackgroundSuppressionLoss',
    'CAMAreaLoss', 'CAMClassificationLoss', 'BalancedCrossEntropyLoss',
    'GradientClippingLoss'
]
