import pytest
import torch

from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS

TINY = dict(depth=50, stem_channels=8, base_channels=8, style='caffe',
            strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), out_indices=(3, ))


def test_stem_pool_rounds_up_as_deeplab():
    torch.manual_seed(0)
    ceil = MODELS.build(dict(type='ResNetCeilPool', **TINY))
    floor = ResNet(**TINY)
    floor.load_state_dict(ceil.state_dict())  # the same names
    ceil.eval()  # (mmseg's ResNet.train returns None)
    floor.eval()
    # the 0.5 copy of a 321 crop: stem output 80 x 80
    assert ceil(torch.zeros(1, 3, 160, 160))[0].shape[2:] == (21, 21)
    assert floor(torch.zeros(1, 3, 160, 160))[0].shape[2:] == (20, 20)
    # an odd stem output (321 crop: 161) pools alike: 41 x 41 either way
    x = torch.randn(1, 3, 321, 321)
    torch.testing.assert_close(ceil(x)[0], floor(x)[0])
    assert ceil(x)[0].shape[2:] == (41, 41)


def test_init_file_of_other_names_is_refused_naming_file_and_keys(tmp_path):
    # an unconverted DeepLab init file: deeplab-pytorch's names
    raw = tmp_path / 'deeplabv1_resnet101-coco.pth'
    torch.save({'layer1.conv1.conv.weight': torch.zeros(8, 3, 7, 7),
                'layer1.conv1.bn.weight': torch.ones(8)}, raw)
    net = MODELS.build(dict(type='ResNetCeilPool', pretrained=str(raw),
                            **TINY))
    with pytest.raises(ValueError,
                       match=r'deeplabv1_resnet101-coco\.pth.*missing.*'
                       r'conv1\.weight.*unexpected.*layer1\.conv1\.conv'):
        net.init_weights()


def test_init_file_of_another_shape_is_refused(tmp_path):
    wider = MODELS.build(dict(type='ResNetCeilPool', **dict(
        TINY, base_channels=16)))
    path = tmp_path / 'wider.pth'
    torch.save({'state_dict': wider.state_dict()}, path)
    net = MODELS.build(dict(type='ResNetCeilPool', pretrained=str(path),
                            **TINY))
    with pytest.raises(ValueError, match=r'wider\.pth.*another shape.*'
                       r'layer1\.0\.conv1\.weight'):
        net.init_weights()


def test_converted_init_file_loads(tmp_path):
    torch.manual_seed(0)
    source = MODELS.build(dict(type='ResNetCeilPool', **TINY))
    state = {k: v for k, v in source.state_dict().items()
             if not k.endswith('num_batches_tracked')}  # may be absent
    state['fc.weight'] = torch.zeros(21, 2048)  # a classifier: ignored
    path = tmp_path / 'converted.pth'
    torch.save({'state_dict': state}, path)
    net = MODELS.build(dict(type='ResNetCeilPool', pretrained=str(path),
                            **TINY))
    net.init_weights()
    torch.testing.assert_close(net.conv1.weight, source.conv1.weight)
