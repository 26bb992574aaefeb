"""IRNet's boundary network: shapes, a training step on a frozen backbone,
the label downsizing, the flip-averaged map and the ImageNet weights."""
import numpy as np
import pytest
import torch
import torchvision
from mmengine.structures import PixelData
from PIL import Image

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from semples_mmseg.models.irn import IRNetBoundaryNet
from semples_mmseg.models.irn.boundary_net import nearest_like_pil


@pytest.fixture(scope='module')
def net():
    torch.manual_seed(0)
    return IRNetBoundaryNet()


def test_boundary_logits_at_stride_4(net):
    out = net(torch.zeros(1, 3, 64, 64), mode='tensor')
    assert out.shape == (1, 1, 16, 16)
    assert net.boundary_map(torch.zeros(1, 3, 61, 75)).shape == (1, 16, 19)


def test_a_training_step_moves_the_branch_only(net):
    net.train()
    assert not net.backbone.training  # BatchNorm on running statistics
    labels = torch.zeros(2, 1, 128, 128, dtype=torch.long)
    labels[:, :, :, 64:] = 5
    labels[:, :, 60:70] = 255
    samples = [SegDataSample(gt_sem_seg=PixelData(data=lab)) for lab in labels]
    torch.manual_seed(1)
    inputs = torch.randn(2, 3, 128, 128)
    stats = net.backbone.bn1.running_mean.clone()
    backbone = {k: v.clone() for k, v in net.backbone.state_dict().items()}
    branch = {k: v.clone() for k, v in net.branch.state_dict().items()}
    optim = torch.optim.SGD(net.parameters(), lr=0.1, momentum=1e-4,
                            weight_decay=1e-4)
    losses = net.loss(inputs, samples)
    assert set(losses) == {'loss_affinity', 'aff_bg_pos', 'aff_fg_pos',
                           'aff_neg'}
    assert torch.isfinite(losses['loss_affinity'])
    assert all(v > 0 for v in losses.values())  # each kind of pair present
    losses['loss_affinity'].backward()
    assert all(p.grad is None for p in net.backbone.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in net.branch.parameters())
    optim.step()
    for k, v in net.backbone.state_dict().items():
        assert torch.equal(v, backbone[k]), k
    assert torch.equal(net.backbone.bn1.running_mean, stats)
    assert any(not torch.equal(v, branch[k])
               for k, v in net.branch.state_dict().items())


def test_labels_are_downsized_like_pillow():
    rng = np.random.default_rng(0)
    for height, width, size in [(512, 512, (128, 128)), (375, 500, (94, 125))]:
        labels = rng.integers(0, 21, (height, width)).astype(np.uint8)
        expected = np.asarray(Image.fromarray(labels).resize(
            size[::-1], Image.NEAREST))
        ours = nearest_like_pil(torch.from_numpy(labels)[None], size)[0]
        assert (ours.numpy() == expected).all()


def test_boundary_map_averages_the_mirror_in_logit_space(net):
    net.eval()
    torch.manual_seed(2)
    image = torch.randn(1, 3, 40, 52)
    logits = net(image, mode='tensor')[0, 0]
    mirror = net(image.flip(-1), mode='tensor')[0, 0].flip(-1)
    expected = torch.sigmoid((logits + mirror) / 2)
    assert torch.allclose(net.boundary_map(image)[0], expected, atol=1e-6)
    # IRNet's own inference pads to 512 (bottom / right) first
    net.test_cfg['pad_to'] = 64
    padded = torch.nn.functional.pad(image, (0, 12, 0, 24))
    logits = net(padded, mode='tensor')[0, 0, :10, :13]
    mirror = net(torch.nn.functional.pad(image.flip(-1), (0, 12, 0, 24)),
                 mode='tensor')[0, 0, :10, :13].flip(-1)
    assert torch.allclose(net.boundary_map(image)[0],
                          torch.sigmoid((logits + mirror) / 2), atol=1e-6)
    net.test_cfg['pad_to'] = None


def test_imagenet_weights_load_into_the_backbone(tmp_path):
    reference = torchvision.models.resnet50(weights=None)
    state = {k: v for k, v in reference.state_dict().items()
             if not k.endswith('num_batches_tracked')}  # as 19c8e357.pth
    torch.save(state, tmp_path / 'resnet50.pth')
    net = MODELS.build(dict(type='IRNetBoundaryNet',
                            pretrained=str(tmp_path / 'resnet50.pth')))
    net.init_weights()
    assert torch.equal(net.backbone.layer4[2].conv3.weight,
                       reference.layer4[2].conv3.weight)
    # the backbone of a CLIMS CAM checkpoint of ours
    cam_state = {f'cam_net.backbone.{k}': v + 1 for k, v in state.items()}
    cam_state['cam_net.classifier.weight'] = torch.zeros(20, 2048, 1, 1)
    torch.save({'state_dict': cam_state}, tmp_path / 'clims.pth')
    net = IRNetBoundaryNet(pretrained=str(tmp_path / 'clims.pth'))
    net.init_weights()
    assert torch.equal(net.backbone.conv1.weight,
                       reference.conv1.weight + 1)
    del state['layer1.0.conv1.weight']
    torch.save(state, tmp_path / 'broken.pth')
    with pytest.raises(ValueError, match='broken.pth'):
        IRNetBoundaryNet(pretrained=str(tmp_path / 'broken.pth')).init_weights()
