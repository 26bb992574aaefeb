"""IRNet's class-boundary branch: path index, affinity labels and loss."""
from .affinity_labels import AffinityLabels, affinity_labels
from .affinity_loss import IRNetAffinityLoss
from .boundary_branch import IRNetBoundaryBranch
from .boundary_net import IRNetBoundaryNet
from .path_index import PathIndex

__all__ = [
    'PathIndex', 'AffinityLabels', 'affinity_labels', 'IRNetAffinityLoss',
    'IRNetBoundaryBranch', 'IRNetBoundaryNet'
]
