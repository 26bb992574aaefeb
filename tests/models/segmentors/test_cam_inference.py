import re

import pytest
import torch

from semples_mmseg.models.segmentors.cam_inference import (
    CAMInferenceSettings, cams_to_label_map, clims_multiscale_cams,
    multiscale_flip_cams, view_sizes)


def first_channels(k):
    """A CAM network stand-in: class maps are the first k image channels."""
    return lambda x: x[:, :k].clamp_min(0)


def bilinear(**kw):
    """The old view resizing (F.interpolate of the tensor): hand-checkable."""
    return dict(view_resize='bilinear', **kw)


def test_single_scale_is_labels_times_minmax():
    img = torch.zeros(1, 3, 2, 3)
    img[0, 0] = torch.tensor([[0., 1., 2.], [3., 4., 8.]])
    img[0, 1] = 5.
    labels = torch.tensor([[1., 0.]])
    cams = multiscale_flip_cams(
        first_channels(2), img, labels, scales=(1.0, ), flip=False)
    assert torch.allclose(cams[0, 0], img[0, 0] / 8)
    assert cams[0, 1].abs().max() == 0  # absent class exactly 0


def test_minmax_divides_by_range_plus_1e_8():
    # range 1e-6: (F - min) / (max - min + 1e-8) = 1e-6 / 1.01e-6 at the top
    # (the earlier clamp of the range at 1e-5 gave 0.1)
    img = torch.zeros(1, 3, 1, 2)
    img[0, 0, 0] = torch.tensor([0.5, 0.5 + 1e-6])
    cams = multiscale_flip_cams(
        first_channels(1), img.double(), torch.ones(1, 1), scales=(1.0, ),
        flip=False)
    top = (img[0, 0, 0, 1].double() - img[0, 0, 0, 0].double())
    assert cams[0, 0, 0, 0] == 0
    assert cams[0, 0, 0, 1].item() == pytest.approx(
        (top / (top + 1e-8)).item(), abs=1e-6)
    assert cams[0, 0, 0, 1].item() == pytest.approx(1 / 1.01, abs=2e-2)


def test_flip_comes_back_unmirrored():
    img = torch.zeros(1, 3, 1, 4)
    img[0, 0, 0] = torch.tensor([0., 1., 2., 6.])  # asymmetric
    labels = torch.ones(1, 1)
    plain = multiscale_flip_cams(
        first_channels(1), img, labels, scales=(1.0, ), flip=False)
    both = multiscale_flip_cams(
        first_channels(1), img, labels, scales=(1.0, ), flip=True)
    # the flipped view, flipped back, equals the plain one: same normalised map
    assert torch.allclose(plain, both)
    assert both[0, 0, 0].argmax() == 3


def test_mirror_sensitive_network_sums_both_views():
    # a network that only sees the left half: its flipped view sees the right
    def left_half(x):
        out = x[:, :1].clone()
        out[..., x.shape[-1] // 2:] = 0
        return out

    img = torch.arange(1., 5.).view(1, 1, 1, 4).expand(1, 3, 1, 4)
    # plain view: [1, 2, 0, 0]; mirrored view [4, 3, 2, 1] -> [4, 3, 0, 0],
    # flipped back [0, 0, 3, 4]; sum [1, 2, 3, 4] -> min-max [0, 1/3, 2/3, 1]
    cams = multiscale_flip_cams(
        left_half, img, torch.ones(1, 1), scales=(1.0, ), flip=True)
    assert torch.allclose(cams[0, 0, 0], torch.tensor([0., 1 / 3, 2 / 3, 1.]))
    cams = multiscale_flip_cams(
        left_half, img, torch.ones(1, 1), scales=(1.0, ), flip=False)
    assert cams[0, 0, 0].tolist() == [0.5, 1., 0., 0.]


def test_scales_upsample_back_to_input_size_and_normalise():
    img = torch.rand(2, 3, 8, 10)
    labels = torch.tensor([[1., 1.], [0., 1.]])
    cams = multiscale_flip_cams(
        first_channels(2), img, labels, **bilinear(scales=(1.0, 0.5, 1.5)))
    assert cams.shape == (2, 2, 8, 10)
    for b, k in ((0, 0), (0, 1), (1, 1)):
        assert cams[b, k].min() == 0 and torch.isclose(
            cams[b, k].max(), torch.tensor(1.), atol=1e-6)
    assert cams[1, 0].abs().max() == 0


def test_constant_map_and_no_present_class_give_zeros_not_nan():
    cams = multiscale_flip_cams(
        lambda x: torch.ones(1, 1, 2, 2), torch.zeros(1, 3, 2, 2),
        torch.ones(1, 1), scales=(1.0, ))
    assert not torch.isnan(cams).any() and cams.abs().max() == 0
    for fn in (multiscale_flip_cams, clims_multiscale_cams):
        cams = fn(first_channels(2), torch.rand(1, 3, 4, 5),
                  torch.zeros(1, 2), view_resize='bilinear')
        assert cams.shape == (1, 2, 4, 5) and cams.abs().max() == 0


def test_label_map_ties_go_to_background():
    cams = torch.tensor([[[[0.5, 0.6, 0.1]], [[0.2, 0.7, 0.5]]]])
    assert cams_to_label_map(cams, 0.5).tolist() == [[[0, 2, 0]]]


def test_scale_two_by_hand():
    # row [0, 0, 4]; at scale 2 bilinear (align_corners=False) gives
    # [0, 0, 0, 1, 3, 4], whose maps come back down as [0, .5, 3.5];
    # sum with scale 1: [0, .5, 7.5] -> min-max [0, 1/15, 1]
    img = torch.zeros(1, 3, 1, 3)
    img[0, 0, 0, 2] = 4.
    seen = []

    def channel_zero(x):
        seen.append(tuple(x.shape[-2:]))
        return x[:, :1]

    cams = multiscale_flip_cams(
        channel_zero, img, torch.ones(1, 1),
        **bilinear(scales=(1.0, 2.0), flip=False))
    assert seen == [(1, 3), (2, 6)]
    assert torch.allclose(cams[0, 0, 0], torch.tensor([0., 1 / 15, 1.]))


def test_labels_zero_absent_classes_per_image():
    img = torch.rand(2, 3, 4, 5)
    labels = torch.tensor([[0., 1., 1.], [1., 0., 0.]])
    cams = multiscale_flip_cams(
        first_channels(3), img, labels, **bilinear(scales=(1.0, 1.2)))
    assert (cams[0, 0] == 0).all() and (cams[1, 1:] == 0).all()
    for b, k in ((0, 1), (0, 2), (1, 0)):
        assert cams[b, k].min() == 0 and cams[b, k].max() == pytest.approx(
            1, abs=1e-6)
    # a present class keeps the order of its (single-scale) map
    one = multiscale_flip_cams(
        first_channels(3), img, labels, scales=(1.0, ), flip=False)
    assert torch.equal(one[1, 0].flatten().argsort(),
                       img[1, 0].flatten().argsort())


def stride2(x):
    """A CAM network stand-in with output stride 2: every other pixel of the
    first two channels, ReLU'd; (h, w) -> (ceil(h / 2), ceil(w / 2))."""
    return x[:, :2, ::2, ::2].clamp_min(0)


def test_clims_protocol_two_scales_by_hand():
    # H x W = 2 x 3, both rows [2, 2, 6]; class 0 present, class 1 absent.
    # Scale 1.0: view [2, 2, 6] -> maps [2, 6]; mirror [6, 2, 2] -> [6, 2],
    #   flipped back at the map's resolution [2, 6]; sum [4, 12]; bilinear to
    #   the stride-2 padded size 2 x 4: [4, 6, 10, 12].
    # Scale 2.0 (4 x 6 view, bilinear): [2, 2, 2, 3, 5, 6] -> maps [2, 2, 5];
    #   mirror [6, 5, 3, 2, 2, 2] -> [6, 3, 2] -> back [2, 3, 6]; sum
    #   [4, 5, 11]; to 4 columns: [4, 4.625, 7.25, 11].
    # Total [8, 10.625, 17.25, 23], cropped to 3 columns [8, 10.625, 17.25],
    # divided by max + 1e-5 (no minimum subtracted).
    img = torch.zeros(1, 3, 2, 3)
    img[0, 0] = torch.tensor([2., 2., 6.])
    img[0, 1] = 1.  # class 1's map: non-zero, but the class is absent
    cams = clims_multiscale_cams(
        stride2, img, torch.tensor([[1., 0.]]),
        **bilinear(scales=(1.0, 2.0), flip=True, stride=2))
    expected = torch.tensor([8., 10.625, 17.25]) / (17.25 + 1e-5)
    assert cams.shape == (1, 2, 2, 3)
    assert torch.allclose(cams[0, 0], expected.expand(2, 3), atol=1e-7)
    assert cams[0, 1].abs().max() == 0
    # the WeakTr protocol on the same input subtracts the minimum
    weaktr = multiscale_flip_cams(
        stride2, img, torch.tensor([[1., 0.]]),
        **bilinear(scales=(1.0, 2.0), flip=True))
    assert weaktr[0, 0].min() == 0 and cams[0, 0].min() > 0.46


def test_clims_flip_is_undone_before_the_crop():
    # width 5 at stride 2: maps of width 3 are upsampled to 6 columns and
    # cropped to 5, which is not mirror-symmetric. The reference flips the
    # mirror's maps back at the network's resolution (IRNet's CAM.forward),
    # before upsampling and cropping. Brute force of that order:
    img = torch.rand(1, 3, 3, 5)
    labels = torch.ones(1, 2)

    def up(maps):
        return torch.nn.functional.interpolate(
            maps, size=(4, 6), mode='bilinear', align_corners=False)

    def peak_normalised(x):
        return x / (x.flatten(2).amax(2)[..., None, None] + 1e-5)

    maps = stride2(img) + stride2(img.flip(-1)).flip(-1)
    expected = peak_normalised(up(maps)[..., :3, :5])
    cams = clims_multiscale_cams(
        stride2, img, labels, **bilinear(scales=(1.0, ), stride=2))
    assert torch.allclose(cams, expected, atol=1e-7)
    # flipping the mirror's maps only after the crop gives other numbers
    late = up(stride2(img))[..., :3, :5] + \
        up(stride2(img.flip(-1)))[..., :3, :5].flip(-1)
    assert (peak_normalised(late) - cams).abs().max() > 1e-2
    # and so does upsampling straight to the image size (the WeakTr way)
    direct = torch.nn.functional.interpolate(
        maps, size=(3, 5), mode='bilinear', align_corners=False)
    assert (peak_normalised(direct) - cams).abs().max() > 1e-2


def test_view_sizes_round_like_python_and_cap_large_images():
    # Python round (ties to even), as both references: 187.5 -> 188
    assert view_sizes(375, 500, (1.0, 0.5, 1.5, 2.0), None) == [
        (375, 500), (188, 250), (562, 750), (750, 1000)]
    assert view_sizes(375, 500, (1.0, 1.2), 800 * 800) == [(375, 500),
                                                           (450, 600)]
    # 2000 x 3000 at (1.0, 1.2) with a 640,000-pixel cap: f = sqrt(640000 /
    # (1.44 * 6e6)), sizes floored: the largest view fits, ratios kept
    sizes = view_sizes(2000, 3000, (1.0, 1.2), 640_000)
    assert sizes == [(544, 816), (653, 979)]
    assert max(h * w for h, w in sizes) <= 640_000


def test_settings_name_bad_keys_and_values():
    ok = CAMInferenceSettings.from_test_cfg(
        dict(scales=[1.0, 0.5], flip=True, bg_threshold=0.15,
             protocol='clims'))
    assert ok.scales == (1.0, 0.5) and ok.protocol == 'clims'
    assert ok.view_resize == 'pil_bicubic' and ok.max_view_pixels == 640_000
    with pytest.raises(ValueError, match=r"\['scale'\]"):
        CAMInferenceSettings.from_test_cfg(dict(scale=(1.0, )))
    for key, value in (('scales', ()), ('scales', (1.0, -2)), ('flip', 1),
                       ('protocol', 'irn'), ('view_resize', 'cubic'),
                       ('max_view_pixels', 0), ('stride', 0.5)):
        with pytest.raises(ValueError,
                           match=re.escape(f'{key}={value!r}')):
            CAMInferenceSettings.from_test_cfg({key: value})


def test_pil_views_need_the_normalisation():
    with pytest.raises(ValueError, match='mean and std'):
        multiscale_flip_cams(first_channels(1), torch.zeros(1, 3, 4, 4),
                             torch.ones(1, 1), scales=(1.0, 2.0))


def test_bad_shapes_are_named():
    img = torch.zeros(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r'images \(3, 4, 4\)'):
        multiscale_flip_cams(first_channels(1), img[0], torch.ones(2, 1))
    with pytest.raises(ValueError, match=r'labels \(1, 1\)'):
        multiscale_flip_cams(first_channels(1), img, torch.ones(1, 1))
    with pytest.raises(ValueError,
                       match=r'\(2, 2, 4, 4\) at scale 1.0.*\(2, 1\)'):
        multiscale_flip_cams(first_channels(2), img, torch.ones(2, 1))
    with pytest.raises(ValueError, match=r'scales \(\)'):
        multiscale_flip_cams(first_channels(1), img, torch.ones(2, 1),
                             scales=())
    with pytest.raises(ValueError, match=r'cams \(4, 4\)'):
        cams_to_label_map(torch.zeros(4, 4), 0.5)


def test_label_map_classes_are_shifted_by_one():
    cams = torch.zeros(1, 3, 1, 3)
    cams[0, 0, 0, 0] = 0.9
    cams[0, 2, 0, 1] = 0.6
    assert cams_to_label_map(cams, 0.5).tolist() == [[[1, 3, 0]]]
    assert cams_to_label_map(cams, 0.7).tolist() == [[[1, 0, 0]]]
