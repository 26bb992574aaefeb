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
