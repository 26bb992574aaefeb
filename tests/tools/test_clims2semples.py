import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import resnet50

from semples_mmseg.models.cam_nets import CLIMSResNet50CAM

REPO = Path(__file__).resolve().parents[2]


class ReferenceLayout(nn.Module):
    """The module tree of CLIMS's ``CLIMS`` / IRNet's ``Net`` (res50_cam.pth).

    One ResNet-50 (no fc) held as ``resnet50`` and again through the stage
    aliases, so its state dict repeats each weight under several names.
    """

    def __init__(self, k: int = 20) -> None:
        super().__init__()
        r = resnet50(weights=None)
        del r.fc, r.avgpool
        self.resnet50 = r
        self.stage1 = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool,
                                    r.layer1)
        self.stage2 = nn.Sequential(r.layer2)
        self.stage3 = nn.Sequential(r.layer3)
        self.stage4 = nn.Sequential(r.layer4)
        self.classifier = nn.Conv2d(2048, k, 1, bias=False)
        self.backbone = nn.ModuleList(
            [self.stage1, self.stage2, self.stage3, self.stage4])
        self.newly_added = nn.ModuleList([self.classifier])


def reference_clims_state(k: int = 20):
    """Reference key names, real ResNet-50 shapes, random values."""
    torch.manual_seed(0)
    ref = ReferenceLayout(k)
    with torch.no_grad():
        for t in [*ref.parameters(), *ref.buffers()]:
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5)
    state = ref.state_dict()
    for key in ('stage1.0.weight', 'stage1.1.running_var',
                'stage1.4.2.conv3.weight', 'stage4.0.0.downsample.0.weight',
                'backbone.0.4.0.downsample.1.running_mean',
                'backbone.3.0.2.bn3.bias', 'resnet50.layer3.5.conv2.weight',
                'newly_added.0.weight', 'classifier.weight'):
        assert key in state, key  # the names CLIMS / IRNet checkpoints use
    return state


@pytest.mark.slow
def test_converter_round_trip(tmp_path):
    state = reference_clims_state()
    src, dst = tmp_path / 'res50_cam.pth', tmp_path / 'converted.pth'
    torch.save(state, src)
    subprocess.run([
        sys.executable,
        str(REPO / 'tools/model_converters/clims2semples.py'), str(src),
        str(dst)
    ], check=True, capture_output=True)
    net = CLIMSResNet50CAM(num_classes=20, pretrained=str(dst))
    net.init_weights()  # strict: raises on any missing / unexpected key
    b = net.backbone
    assert torch.equal(b.conv1.weight, state['stage1.0.weight'])
    assert torch.equal(b.bn1.running_var, state['stage1.1.running_var'])
    assert torch.equal(b.layer1[2].conv3.weight,
                       state['stage1.4.2.conv3.weight'])
    assert torch.equal(b.layer2[3].bn2.weight, state['stage2.0.3.bn2.weight'])
    assert torch.equal(b.layer3[5].conv2.weight,
                       state['resnet50.layer3.5.conv2.weight'])
    assert torch.equal(b.layer4[0].downsample[0].weight,
                       state['stage4.0.0.downsample.0.weight'])
    assert torch.equal(b.layer4[2].bn3.bias, state['backbone.3.0.2.bn3.bias'])
    assert torch.equal(net.classifier.weight, state['classifier.weight'])
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert set(converted) == set(net.state_dict())


def test_converter_rejects_unknown_keys_and_disagreeing_aliases():
    sys.path.insert(0, str(REPO / 'tools/model_converters'))
    from clims2semples import convert_clims
    state = dict(reference_clims_state(k=2))
    state['decoder.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='decoder.weight'):
        convert_clims(state)
    del state['decoder.weight']
    state['stage2.0.1.conv1.weight'] = state['stage2.0.1.conv1.weight'] + 1
    with pytest.raises(ValueError,
                       match=r'resnet50\.layer2\.1\.conv1\.weight.*'
                       r'stage2\.0\.1\.conv1\.weight'):
        convert_clims(state)
    state = {
        k: v
        for k, v in reference_clims_state(k=2).items()
        if not k.startswith(('classifier.', 'newly_added.'))
    }
    with pytest.raises(KeyError, match='classifier.weight'):
        convert_clims(state)


def run_converter(*args):
    return subprocess.run([
        sys.executable,
        str(REPO / 'tools/model_converters/clims2semples.py'), *map(str, args)
    ], capture_output=True, text=True)


@pytest.mark.slow
def test_converter_unwraps_dataparallel_and_old_batchnorm(tmp_path):
    """A ``{'state_dict': {'module.stage1...'}}`` file without BatchNorm
    counters (IRNet-era PyTorch) converts and loads strictly."""
    state = reference_clims_state(k=3)
    wrapped = {'state_dict': {f'module.{k}': v for k, v in state.items()
                              if not k.endswith('num_batches_tracked')}}
    src, dst = tmp_path / 'irnet_cam.pth', tmp_path / 'converted.pth'
    torch.save(wrapped, src)
    result = run_converter(src, dst)
    assert result.returncode == 0, result.stderr
    assert 'converted.pth' in result.stdout
    net = CLIMSResNet50CAM(num_classes=3, pretrained=str(dst))
    net.init_weights()
    assert torch.equal(net.backbone.layer3[0].downsample[1].running_mean,
                       state['stage3.0.0.downsample.1.running_mean'])
    assert torch.equal(net.classifier.weight, state['newly_added.0.weight'])


@pytest.mark.slow
def test_converter_names_a_missing_source(tmp_path):
    result = run_converter(tmp_path / 'no_res50_cam.pth', tmp_path / 'o.pth')
    assert result.returncode != 0
    assert 'no_res50_cam.pth' in result.stderr
    assert not (tmp_path / 'o.pth').exists()
