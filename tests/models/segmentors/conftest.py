import pytest
import torch
from mmengine.config import ConfigDict

from mmseg.registry import MODELS

# DeepLab-V2 at toy width: caffe-style dilated ResNet-50 (base 8 channels,
# output 256) + ASPP-V2, 4 classes, BGR minus the reference's mean
TINY_DEEPLABV2 = dict(
    type='MultiScaleMaxEncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[104.008, 116.669, 122.675],
        std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_val=0, seg_pad_val=255,
        size=(65, 65)),
    backbone=dict(
        type='ResNetCeilPool', depth=50, stem_channels=8, base_channels=8,
        style='caffe', strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
        out_indices=(3, ), norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    decode_head=dict(type='ASPPV2Head', in_channels=256, in_index=0,
                     num_classes=4, dilations=(1, 2, 3, 4)),
    test_cfg=ConfigDict(mode='whole'))


@pytest.fixture
def tiny_deeplabv2():
    """Build the toy DeepLab-V2 (seeded, initialised); keyword arguments
    replace keys of its config."""

    def build(**overrides):
        torch.manual_seed(0)
        model = MODELS.build(dict(TINY_DEEPLABV2, **overrides))
        model.init_weights()
        return model

    return build
