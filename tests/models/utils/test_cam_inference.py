import pytest
import torch

from semples_mmseg.models.utils import cams_to_label_map, multiscale_flip_cams


def first_channels(k):
    """A CAM network stand-in: class maps are the first k image channels."""
    return lambda x: x[:, :k].clamp_min(0)


def test_single_scale_is_labels_times_minmax():
    img = torch.zeros(1, 3, 2, 3)
    img[0, 0] = torch.tensor([[0., 1., 2.], [3., 4., 8.]])
    img[0, 1] = 5.
    labels = torch.tensor([[1., 0.]])
    cams = multiscale_flip_cams(
        first_channels(2), img, labels, scales=(1.0, ), flip=False)
    assert torch.allclose(cams[0, 0], img[0, 0] / 8)
    assert cams[0, 1].abs().max() == 0  # absent class exactly 0


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
        first_channels(2), img, labels, scales=(1.0, 0.5, 1.5), flip=True)
    assert cams.shape == (2, 2, 8, 10)
    for b, k in ((0, 0), (0, 1), (1, 1)):
        assert cams[b, k].min() == 0 and torch.isclose(cams[b, k].max(),
                                                       torch.tensor(1.))
    assert cams[1, 0].abs().max() == 0


def test_constant_map_gives_zero_not_nan():
    cams = multiscale_flip_cams(
        lambda x: torch.ones(1, 1, 2, 2), torch.zeros(1, 3, 2, 2),
        torch.ones(1, 1))
    assert not torch.isnan(cams).any() and cams.abs().max() == 0


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
        channel_zero, img, torch.ones(1, 1), scales=(1.0, 2.0), flip=False)
    assert seen == [(1, 3), (2, 6)]
    assert torch.allclose(cams[0, 0, 0], torch.tensor([0., 1 / 15, 1.]))


def test_labels_zero_absent_classes_per_image():
    img = torch.rand(2, 3, 4, 5)
    labels = torch.tensor([[0., 1., 1.], [1., 0., 0.]])
    cams = multiscale_flip_cams(
        first_channels(3), img, labels, scales=(1.0, 1.2), flip=True)
    assert (cams[0, 0] == 0).all() and (cams[1, 1:] == 0).all()
    for b, k in ((0, 1), (0, 2), (1, 0)):
        assert cams[b, k].min() == 0 and cams[b, k].max() == 1
    # a present class keeps the order of its (single-scale) map
    one = multiscale_flip_cams(
        first_channels(3), img, labels, scales=(1.0, ), flip=False)
    assert torch.equal(one[1, 0].flatten().argsort(),
                       img[1, 0].flatten().argsort())


def test_bad_shapes_are_named():
    img = torch.zeros(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r'images must be .* \(3, 4, 4\)'):
        multiscale_flip_cams(first_channels(1), img[0], torch.ones(2, 1))
    with pytest.raises(ValueError, match=r'labels .*B = 2.*\(1, 1\)'):
        multiscale_flip_cams(first_channels(1), img, torch.ones(1, 1))
    with pytest.raises(ValueError, match=r'cam_fn returned shape '
                       r'\(2, 2, 4, 4\) at scale 1.0.*\(2, 1\)'):
        multiscale_flip_cams(first_channels(2), img, torch.ones(2, 1))
    with pytest.raises(ValueError, match='scales'):
        multiscale_flip_cams(first_channels(1), img, torch.ones(2, 1),
                             scales=())
    with pytest.raises(ValueError, match=r'cams must be .*\(4, 4\)'):
        cams_to_label_map(torch.zeros(4, 4), 0.5)


def test_label_map_classes_are_shifted_by_one():
    cams = torch.zeros(1, 3, 1, 3)
    cams[0, 0, 0, 0] = 0.9
    cams[0, 2, 0, 1] = 0.6
    assert cams_to_label_map(cams, 0.5).tolist() == [[[1, 3, 0]]]
    assert cams_to_label_map(cams, 0.7).tolist() == [[[1, 0, 0]]]
