"""CLIMS's CAM network: torchvision ResNet-50 at output stride 16."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn
from torchvision.models import resnet50, resnet101, resnet152

from mmseg.registry import MODELS
from ..utils.checkpoint_state import read_checkpoint_state

# key prefixes of an unconverted CLIMS / IRNet checkpoint (res50_cam.pth)
REFERENCE_PREFIXES = ('resnet50.', 'stage1.', 'stage2.', 'stage3.', 'stage4.',
                      'newly_added.')


# torchvision's bottleneck ResNets: all end in 2048 channels
BOTTLENECK_RESNETS = {50: resnet50, 101: resnet101, 152: resnet152}


def resnet_stride16(depth: int = 50) -> nn.Module:
    """torchvision ResNet-``depth`` with layer4 at stride 1, no classifier.

    Strides (conv1, layer2, layer3, layer4) = (2, 2, 2, 1) plus the stride-2
    max-pool: output stride 16, no dilation (as IRNet / CLIMS). The stride
    of torchvision's (v1.5) bottleneck sits on its 3x3 ``conv2`` and on the
    1x1 ``downsample`` conv, as in CLIMS's ``resnet50_v2``.
    """
    if depth not in BOTTLENECK_RESNETS:
        raise ValueError(f'CLIMSResNet50CAM: depth={depth!r} is not a '
                         'torchvision bottleneck ResNet (choose from '
                         f'{sorted(BOTTLENECK_RESNETS)}; CLIMS uses 50)')
    net = BOTTLENECK_RESNETS[depth](weights=None)
    first = net.layer4[0]
    first.conv2.stride = (1, 1)
    first.downsample[0].stride = (1, 1)
    net.fc = nn.Identity()
    return net


def with_batch_counters(module: nn.Module,
                        state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """``state`` plus a zero ``num_batches_tracked`` for each BatchNorm of
    ``module`` whose counter the file lacks (only when its running mean is
    there, so a truly missing layer is still reported)."""
    filled = dict(state)
    for key in module.state_dict():
        prefix = key[:-len('num_batches_tracked')]
        if (key.endswith('num_batches_tracked') and key not in filled
                and prefix + 'running_mean' in filled):
            filled[key] = torch.tensor(0, dtype=torch.long)
    return filled


@MODELS.register_module()
class CLIMSResNet50CAM(BaseModule):
    """The CLIMS CAM network (METHOD section 1); DESIGN.md CAM contract.

    Output of ``forward(x)`` for x (B, 3, H, W), h = ceil(H / 16),
    w = ceil(W / 16):

    - ``cam_logits``: the 1x1 classifier applied at every position
      (B, K, h, w); CLIMS trains on its sigmoid (the soft masks M) and its
      L_REG is the mean of that sigmoid;
    - ``cams``: ReLU(cam_logits) (B, K, h, w), the non-negative class maps
      for inference, as CLIMS's ``CAM.forward`` (net/resnet50_clims.py)
      computes them before summing scales and flips;
    - ``cls_logits``: global average of ``cam_logits`` (B, K), which equals
      CLIMS's classifier on globally pooled features (1x1 conv, no bias).

    conv1 and bn1 are frozen (``requires_grad=False``, re-applied by
    ``train()`` like CLIMS); every BatchNorm, bn1 included, runs in train
    mode and updates its running statistics (CLIMS's ``resnet50_v2`` uses
    plain ``nn.BatchNorm2d``, unlike IRNet's frozen-statistics one).

    What the segmentor does around it, as CLIMS's ``train_clims.py``: 512 x
    512 training crops (long side resized to 320-640, flip); M =
    sigmoid(cam_logits) upsampled from (32, 32) to CLIP's 224 x 224 and the
    crop resized 512 -> 224, both bilinear with ``align_corners=True``,
    before the masked images go to CLIP (``soft_mask=dict(mode='sigmoid')``
    in configs/_base_/models/clims_r50.py).

    Args:
        num_classes: K.
        depth: 50 (CLIMS); 101 and 152 use the same torchvision layout.
        pretrained: a torchvision ImageNet state dict of that depth
            (``fc.*`` ignored), a CLIMS / IRNet checkpoint converted by
            ``tools/model_converters/clims2semples.py``, or a segmentor
            checkpoint of ours (its ``cam_net.*``); a local file or a URL
            (``https://...``, ``torchvision://resnet50``: mmengine's
            CheckpointLoader, cached in torch's hub folder; the reference
            loads torchvision's ``resnet50-19c8e357.pth`` by URL). Read by
            ``init_weights()`` only, which mmengine's Runner calls for
            training: building the network for inference reads no file.
            Every key must fit.
        channels_last: keep the convolution weights and feed the input in
            ``torch.channels_last`` memory format (opt-in; on CUDA, cuDNN's
            fp16 / bf16 convolutions run in NHWC without transposes;
            docs/GPU.md). Values are the same up to rounding.
    """

    def __init__(self,
                 *,
                 num_classes: int,
                 depth: int = 50,
                 pretrained: Optional[str] = None,
                 channels_last: bool = False) -> None:
        super().__init__(init_cfg=None)
        self.num_classes = num_classes
        self.depth = depth
        self.pretrained = pretrained
        self.channels_last = channels_last
        self.backbone = resnet_stride16(depth)
        self.classifier = nn.Conv2d(2048, num_classes, 1, bias=False)
        if channels_last:  # loading weights and .to() keep the layout
            self.to(memory_format=torch.channels_last)
        self._freeze_stem()

    def _freeze_stem(self) -> None:
        self.backbone.conv1.requires_grad_(False)
        self.backbone.bn1.requires_grad_(False)

    def train(self, mode: bool = True) -> 'CLIMSResNet50CAM':
        super().train(mode)
        self._freeze_stem()
        return self

    def init_weights(self) -> None:
        if self.pretrained is None:
            return
        self.load_pretrained(
            read_checkpoint_state(self.pretrained, prefix='cam_net.'),
            source=self.pretrained)
        self._is_init = True

    def load_pretrained(self, state: Dict[str, Tensor], source: str) -> None:
        """Load a converted CLIMS state (all keys) or a torchvision one,
        strictly; a mismatch names ``source`` and the keys.

        BatchNorm ``num_batches_tracked`` counters absent from the file
        (checkpoints saved before PyTorch 0.4.1, e.g. CLIMS's
        ``resnet50-19c8e357.pth``) start at 0, as PyTorch itself fills them;
        every other key must be present.
        """
        raw = next((k for k in state if k.startswith(REFERENCE_PREFIXES)),
                   None)
        if raw is not None:
            raise ValueError(f'{source} has CLIMS/IRNet key names ({raw}): '
                             'convert it with tools/model_converters/'
                             'clims2semples.py')
        if any(k.startswith(('backbone.', 'classifier.')) for k in state):
            target: nn.Module = self
        else:  # torchvision ImageNet layout: backbone only, fc.* dropped
            target = self.backbone
            state = {k: v for k, v in state.items() if not k.startswith('fc.')}
        try:
            target.load_state_dict(
                with_batch_counters(target, state), strict=True)
        except RuntimeError as exc:
            raise ValueError(f'{source} does not fit CLIMSResNet50CAM(depth='
                             f'{self.depth}): {exc}') from exc
        print_log(f'CLIMSResNet50CAM: loaded {source}', logger='current')

    def extract(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) -> layer4 features (B, 2048, h, w)."""
        net = self.backbone
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        return net.layer4(net.layer3(net.layer2(net.layer1(x))))

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        cam_logits = self.classifier(self.extract(x))
        return dict(
            cams=F.relu(cam_logits),
            cam_logits=cam_logits,
            cls_logits=cam_logits.mean(dim=(2, 3)))
