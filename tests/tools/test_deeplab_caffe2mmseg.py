import importlib.util
from pathlib import Path

import pytest
import torch

from mmseg.models.backbones import ResNet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def tool():
    """The converter imported from tools/ (no interpreter start-up)."""
    path = REPO / 'tools/model_converters/deeplab_caffe2mmseg.py'
    spec = importlib.util.spec_from_file_location('deeplab_caffe2mmseg', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def deeplab_state(blocks=(3, 4, 23, 3), classifier='fc.', classes=91):
    """DeepLab's ResNet as deeplab-pytorch's convert.py names it: the stem
    layer1.conv1, then layer2..5 of blocks reduce (1x1, carries the
    stride) / conv3x3 / increase (1x1, x4) and a shortcut in block 1;
    every conv followed by its BN. Random values, real shapes."""
    g = torch.Generator().manual_seed(0)
    state = {}

    def conv_bn(name, cout, cin, k):
        state[f'{name}.conv.weight'] = torch.randn(cout, cin, k, k,
                                                   generator=g)
        for stat in ('weight', 'bias', 'running_mean', 'running_var'):
            state[f'{name}.bn.{stat}'] = torch.rand(cout, generator=g)
        state[f'{name}.bn.num_batches_tracked'] = torch.tensor(0)

    conv_bn('layer1.conv1', 64, 3, 7)
    cin = 64
    for stage, (n, cout) in enumerate(zip(blocks, (256, 512, 1024, 2048)),
                                      start=2):
        for b in range(1, n + 1):
            name = f'layer{stage}.block{b}'
            conv_bn(f'{name}.reduce', cout // 4, cin if b == 1 else cout, 1)
            conv_bn(f'{name}.conv3x3', cout // 4, cout // 4, 3)
            conv_bn(f'{name}.increase', cout, cout // 4, 1)
            if b == 1:
                conv_bn(f'{name}.shortcut', cout, cin, 1)
        cin = cout
    if classifier == 'fc.':  # COCO init: DeepLab-V1's 1x1 classifier
        state['fc.weight'] = torch.randn(classes, 2048, 1, 1, generator=g)
        state['fc.bias'] = torch.randn(classes, generator=g)
    else:  # a trained DeepLab-V2: the four ASPP branches
        for i in range(4):
            state[f'aspp.c{i}.weight'] = torch.randn(classes, 2048, 3, 3)
            state[f'aspp.c{i}.bias'] = torch.randn(classes)
    return state


@pytest.fixture(scope='module')
def coco_init():
    return deeplab_state()


def test_synthetic_coco_init_file_becomes_mmseg_resnet101(
        tool, coco_init, tmp_path, capsys):
    state = coco_init
    src, dst = tmp_path / 'deeplabv1_resnet101-coco.pth', tmp_path / 'out.pth'
    torch.save(state, src)
    tool.main([str(src), str(dst)])
    converted = torch.load(dst, weights_only=True)['state_dict']
    with torch.device('meta'):
        net = ResNet(depth=101, style='caffe', strides=(1, 2, 1, 1),
                     dilations=(1, 1, 2, 4))
    net.load_state_dict(converted, strict=True, assign=True)  # keys, shapes
    pairs = {
        'conv1.weight': 'layer1.conv1.conv.weight',
        'bn1.running_var': 'layer1.conv1.bn.running_var',
        'layer1.0.conv1.weight': 'layer2.block1.reduce.conv.weight',
        'layer1.0.downsample.1.bias': 'layer2.block1.shortcut.bn.bias',
        'layer2.0.downsample.0.weight': 'layer3.block1.shortcut.conv.weight',
        'layer3.22.conv2.weight': 'layer4.block23.conv3x3.conv.weight',
        'layer3.22.bn2.running_mean': 'layer4.block23.conv3x3.bn.running_mean',
        'layer4.2.conv3.weight': 'layer5.block3.increase.conv.weight',
        'layer4.2.bn3.weight': 'layer5.block3.increase.bn.weight',
    }
    for ours, theirs in pairs.items():
        assert torch.equal(converted[ours], state[theirs]), ours
    assert not any(k.startswith(('fc', 'aspp')) for k in converted)
    assert len(converted) == len(state) - 2  # everything but the classifier
    assert 'ResNet-101' in capsys.readouterr().out


def test_msc_and_dataparallel_prefixes_and_aspp_are_accepted(tool,
                                                             tmp_path):
    state = {f'module.base.{k}': v
             for k, v in deeplab_state(classifier='aspp.', classes=21).items()
             if not k.endswith('num_batches_tracked')}  # older files lack it
    src, dst = tmp_path / 'checkpoint_final.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': state}, src)
    tool.main([str(src), str(dst)])
    converted = torch.load(dst, weights_only=True)['state_dict']
    assert converted['layer2.3.bn1.num_batches_tracked'] == 0
    assert torch.equal(converted['layer2.3.conv1.weight'],
                       state['module.base.layer3.block4.reduce.conv.weight'])


@pytest.mark.parametrize('damage, named', [
    (lambda s: s.update({'backbone.conv1.weight': s['fc.weight']}),
     r'not DeepLab ResNet names \(1\): backbone\.conv1\.weight'),
    (lambda s: [s.pop(k) for k in list(s) if k.startswith('layer4.block23')],
     r'22 blocks'),
    (lambda s: s.pop('layer5.block2.reduce.bn.running_var'),
     r"missing \['layer4\.1\.bn1\.running_var'\]"),
    (lambda s: s.update({'layer3.block2.conv3x3.conv.weight':
                         torch.zeros(128, 128, 1, 1)}),
     r'layer2\.1\.conv2\.weight \(128, 128, 1, 1\) \(ResNet-101: '
     r'\(128, 128, 3, 3\)\)'),
])
def test_wrong_files_are_refused_naming_the_keys(tool, coco_init, tmp_path,
                                                 damage, named):
    state = dict(coco_init)
    damage(state)
    src, dst = tmp_path / 'init.pth', tmp_path / 'out.pth'
    torch.save(state, src)
    with pytest.raises(SystemExit, match=r'init\.pth: .*' + named):
        tool.main([str(src), str(dst)])
    assert not dst.exists()
