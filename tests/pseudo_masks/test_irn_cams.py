"""IRNet's CAMs: the two maps computed the reference's way, their files and
the checks that name a file that does not fit before any compute."""
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from semples_mmseg.models.segmentors.cam_inference import clims_multiscale_cams
from semples_mmseg.pseudo_masks.export import SETTINGS_FILE
from semples_mmseg.pseudo_masks.irn_cam_files import (IRNetCAMs,
                                                      check_irn_cam_files,
                                                      irn_cam_path,
                                                      npz_complete,
                                                      read_irn_cams,
                                                      write_irn_cams)
from semples_mmseg.pseudo_masks.irn_cams import irn_multiscale_cams

SCALES = (1.0, 0.5, 1.5)


def toy_cam_fn():
    """(1, 3, h, w) -> (1, 4, ceil(h / 16), ceil(w / 16)), non-negative."""
    torch.manual_seed(0)
    weight = torch.randn(4, 3, 1, 1)

    def cam_fn(x):
        pooled = F.avg_pool2d(x, 16, ceil_mode=True)
        return F.relu(F.conv2d(pooled, weight))
    return cam_fn


def test_high_res_is_clims_protocol_and_cam_s4_is_resized_per_scale():
    cam_fn = toy_cam_fn()
    torch.manual_seed(1)
    image = torch.randn(1, 3, 45, 70)
    labels = torch.tensor([0., 1, 0, 1])
    cams = irn_multiscale_cams(cam_fn, image, labels, scales=SCALES,
                               view_resize='bilinear')
    assert cams.keys.tolist() == [1, 3]
    # high_res: the segmentor's CLIMS protocol, present classes
    high = clims_multiscale_cams(cam_fn, image, labels[None], scales=SCALES,
                                 view_resize='bilinear')[0, [1, 3]]
    assert np.allclose(cams.high_res, high.numpy(), atol=1e-6)
    # cam_s4: each scale's map (view + mirror) resized straight to stride 4
    small = (math.ceil(45 / 4), math.ceil(70 / 4))
    total = 0
    for s in SCALES:
        view = F.interpolate(image, size=(round(45 * s), round(70 * s)),
                             mode='bilinear', align_corners=False) \
            if s != 1.0 else image
        maps = cam_fn(view) + cam_fn(view.flip(-1)).flip(-1)
        total = total + F.interpolate(maps, size=small, mode='bilinear',
                                      align_corners=False)
    total = total[0, [1, 3]]
    expected = total / (total.flatten(1).amax(1)[:, None, None] + 1e-5)
    assert cams.cam_s4.shape == (2, 12, 18)
    assert np.allclose(cams.cam_s4, expected.numpy(), atol=1e-6)
    # not a downsample of high_res
    assert not np.allclose(
        cams.cam_s4, F.interpolate(torch.from_numpy(cams.high_res)[None],
                                   size=small, mode='bilinear')[0].numpy(),
        atol=1e-3)


def test_an_image_without_classes_has_empty_maps():
    cams = irn_multiscale_cams(toy_cam_fn(), torch.zeros(1, 3, 9, 13),
                               torch.zeros(4), scales=(1.0, ))
    assert cams.keys.shape == (0, )
    assert cams.high_res.shape == (0, 9, 13)
    assert cams.cam_s4.shape == (0, 3, 4)


def one_image_cams(keys, height=9, width=13):
    k = len(keys)
    return IRNetCAMs(
        keys=np.asarray(keys, np.int64),
        high_res=np.random.rand(k, height, width).astype(np.float32),
        cam_s4=np.random.rand(k, -(-height // 4),
                              -(-width // 4)).astype(np.float32))


def test_files_round_trip_and_incomplete_ones_are_seen(tmp_path):
    cams = one_image_cams([2, 5])
    path = irn_cam_path(str(tmp_path), '/data/JPEGImages/2007_000001.jpg')
    assert path == str(tmp_path / '2007_000001.npz')
    write_irn_cams(cams, path)
    back = read_irn_cams(path)
    for name in IRNetCAMs._fields:
        assert np.array_equal(getattr(back, name), getattr(cams, name))
    assert read_irn_cams(path, high_res=False).high_res is None
    assert npz_complete(path)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    assert not npz_complete(path)
    assert not list(tmp_path.glob('*.tmp*'))


class Images:
    """The part of a dataset the checks read."""

    def __init__(self, labels, size=(9, 13)):
        self.metainfo = dict(classes=('background', 'a', 'b', 'c', 'd',
                                      'e', 'f'))
        self.infos = [dict(img_path=f'/x/img{i}.jpg', scan_shape=size,
                           img_labels=np.asarray(lab, np.float32))
                      for i, lab in enumerate(labels)]

    def get_data_info(self, i):
        return self.infos[i]


@pytest.fixture
def cam_dir(tmp_path):
    images = Images([[0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 0, 0],
                     [0, 0, 0, 0, 0, 0]])
    for info in images.infos:
        keys = np.flatnonzero(info['img_labels'])
        write_irn_cams(one_image_cams(keys),
                       irn_cam_path(str(tmp_path), info['img_path']))
    (tmp_path / SETTINGS_FILE).write_text(
        json.dumps(dict(classes=list(images.metainfo['classes']))))
    return tmp_path, images


def test_fitting_files_pass(cam_dir):
    folder, images = cam_dir
    check_irn_cam_files(images, [0, 1, 2], str(folder))


def test_missing_file_of_another_size_or_class_set_are_named(cam_dir):
    folder, images = cam_dir
    (folder / 'img1.npz').unlink()
    write_irn_cams(one_image_cams([2, 5], height=10),
                   str(folder / 'img0.npz'))
    write_irn_cams(one_image_cams([3]), str(folder / 'img2.npz'))
    with pytest.raises(ValueError) as err:
        check_irn_cam_files(images, [0, 1, 2], str(folder))
    text = str(err.value)
    assert '3 of 3 CAM files' in text
    assert f"{folder / 'img1.npz'}: missing" in text
    assert f"{folder / 'img0.npz'}: high_res is (2, 10, 13)" in text
    assert f"{folder / 'img2.npz'}: keys [3]" in text


def test_a_folder_of_another_class_set_is_named(cam_dir):
    folder, images = cam_dir
    (folder / SETTINGS_FILE).write_text(json.dumps(dict(classes=['x'])))
    with pytest.raises(ValueError, match=SETTINGS_FILE):
        check_irn_cam_files(images, [0], str(folder))
    (folder / SETTINGS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=str(folder)):
        check_irn_cam_files(images, [0], str(folder))
