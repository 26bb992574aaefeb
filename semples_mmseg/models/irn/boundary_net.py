"""IRNet's class-boundary network: a frozen ResNet-50 and the boundary branch.

Training (``tools/train.py`` with ``configs/irn/``): a crop and its IR label
map (0 background, classes, 255 uncertain) -> boundary logits at stride 4
-> affinities of the pairs within ``path_radius`` -> affinity loss against
the labels of the pairs. The backbone is frozen: eval mode (BatchNorm on
running statistics), no gradient. IRNet's displacement branch (instance
segmentation) is not built: it shares no parameter with this branch.

Inference (:meth:`boundary_map`): the image and its mirror, boundary maps
averaged in logit space, sigmoid; what the random walk reads.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList
from ..cam_nets.clims_resnet import resnet_stride16, with_batch_counters
from .affinity_labels import affinity_labels
from .boundary_branch import IRNetBoundaryBranch
from .path_index import PathIndex

STRIDE = 4  # the boundary map's stride
CAM_BACKBONE = 'cam_net.backbone.'  # a CLIMS CAM checkpoint of ours


def nearest_like_pil(labels: Tensor, size: Tuple[int, int]) -> Tensor:
    """(B, H, W) -> (B, h, w) nearest resize with Pillow's sampling
    (source index ``floor((i + 0.5) H / h)``), as IRNet downsizes labels."""
    height, width = labels.shape[-2:]
    rows = ((torch.arange(size[0], device=labels.device) + 0.5) * height /
            size[0]).long()
    cols = ((torch.arange(size[1], device=labels.device) + 0.5) * width /
            size[1]).long()
    return labels[..., rows[:, None], cols[None, :]]


@MODELS.register_module()
class IRNetBoundaryNet(BaseSegmentor):
    """Boundary logits (B, 1, ceil(H / 4), ceil(W / 4)) of a frozen ResNet-50.

    Args:
        pretrained: torchvision's ImageNet ResNet-50 state dict (a local
            file or URL; IRNet loads ``resnet50-19c8e357.pth``; ``fc.*`` is
            ignored) or a checkpoint of ours with a CLIMS CAM network (its
            ``cam_net.backbone.*``, e.g. where no ImageNet weights exist);
            read by ``init_weights()`` (training) only.
        path_radius: radius of the training pairs (IRNet: 10).
        ignore_index: the uncertain label of the IR label maps.
        loss_affinity: the loss config (``IRNetAffinityLoss``).
        test_cfg: ``flip`` (average with the mirror, default True) and
            ``pad_to`` (pad the input at the bottom and right to this square
            size before the network, as IRNet's own inference with 512;
            CLIMS: None).
    """

    def __init__(self,
                 *,
                 pretrained: Optional[str] = None,
                 path_radius: int = 10,
                 ignore_index: int = 255,
                 loss_affinity: dict = dict(type='IRNetAffinityLoss'),
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.pretrained = pretrained
        self.ignore_index = ignore_index
        self.backbone = resnet_stride16(50)
        self.backbone.requires_grad_(False)
        self.branch = IRNetBoundaryBranch()
        self.path_index = PathIndex(radius=path_radius)
        self.loss_affinity = MODELS.build(loss_affinity)
        self.train_cfg = train_cfg
        self.test_cfg = {**dict(flip=True, pad_to=None), **(test_cfg or {})}

    def train(self, mode: bool = True) -> 'IRNetBoundaryNet':
        super().train(mode)
        self.backbone.eval()
        return self

    def init_weights(self) -> None:
        super().init_weights()
        if self.pretrained is None:
            return
        ckpt = CheckpointLoader.load_checkpoint(
            self.pretrained, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if any(k.startswith(CAM_BACKBONE) for k in state):
            state = {k[len(CAM_BACKBONE):]: v for k, v in state.items()
                     if k.startswith(CAM_BACKBONE)}
        state = {k: v for k, v in state.items() if not k.startswith('fc.')}
        try:
            load_state_dict(
                self.backbone,
                with_batch_counters(self.backbone, state),
                strict=True)
        except RuntimeError as exc:
            raise ValueError(f'{self.pretrained} is not a torchvision '
                             f'ResNet-50 state dict: {exc}') from exc
        print_log(f'IRNetBoundaryNet: backbone from {self.pretrained}',
                  logger='current')

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """(B, 3, H, W) -> the five stage outputs, without gradient."""
        net = self.backbone
        with torch.no_grad():
            x1 = net.maxpool(net.relu(net.bn1(net.conv1(inputs))))
            x2 = net.layer1(x1)
            x3 = net.layer2(x2)
            x4 = net.layer3(x3)
            x5 = net.layer4(x4)
        return [x1, x2, x3, x4, x5]

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """(B, 3, H, W) -> boundary logits (B, 1, h, w)."""
        return self.branch(self.extract_feat(inputs))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The affinity loss against the pairs of each sample's IR labels
        (``gt_sem_seg``, downsized to the boundary map like Pillow)."""
        logits = self._forward(inputs)[:, 0]
        labels = torch.stack(
            [s.gt_sem_seg.data[0] for s in data_samples]).to(logits.device)
        labels = nearest_like_pil(labels, logits.shape[-2:])
        pairs = affinity_labels(
            labels, self.path_index, ignore_index=self.ignore_index)
        affinity = self.path_index.affinity(torch.sigmoid(logits))
        terms = self.loss_affinity.terms(affinity, *pairs)
        losses: Dict[str, Tensor] = {
            self.loss_affinity.loss_name: self.loss_affinity.weighted(terms)
        }
        losses.update({f'aff_{k}': v.detach() for k, v in terms.items()})
        return losses

    def boundary_map(self, inputs: Tensor) -> Tensor:
        """(B, 3, H, W) -> (B, ceil(H / 4), ceil(W / 4)) boundary
        probabilities, by ``test_cfg`` (flip, pad_to)."""
        batch = inputs.shape[0]
        height, width = (-(-s // STRIDE) for s in inputs.shape[-2:])
        x = inputs
        if self.test_cfg['flip']:
            x = torch.cat([x, x.flip(-1)])
        pad_to = self.test_cfg['pad_to']
        if pad_to is not None:
            x = F.pad(x, (0, max(0, pad_to - x.shape[-1]), 0,
                          max(0, pad_to - x.shape[-2])))
        logits = self._forward(x)[:, 0, :height, :width]
        if self.test_cfg['flip']:
            logits = (logits[:batch] + logits[batch:].flip(-1)) / 2
        return torch.sigmoid(logits)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """(B, 1, h, w) boundary probabilities (see :meth:`boundary_map`)."""
        return self.boundary_map(inputs)[:, None]

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Each sample gets ``pred_boundary``: PixelData (1, h, w)."""
        maps = self.boundary_map(inputs)
        samples = data_samples or [SegDataSample() for _ in maps]
        for sample, boundary in zip(samples, maps):
            sample.set_data(dict(pred_boundary=PixelData(data=boundary[None])))
        return samples
