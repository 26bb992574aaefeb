"""From the walk to the mask: global maximum, background plane, keys."""
import numpy as np
import torch
from PIL import Image

from semples_mmseg.pseudo_masks.irn_sem_seg import (walk_label_map,
                                                    write_walk_mask)
from semples_mmseg.pseudo_masks.random_walk import random_walk


def test_the_walk_of_the_wall_toy_gives_the_left_region_the_class():
    boundary = torch.zeros(10, 10, dtype=torch.float64)
    boundary[:, 4] = 1.0
    cams = torch.zeros(1, 10, 10, dtype=torch.float64)
    cams[0, 2, 2] = 1.0
    walked = random_walk(cams, boundary, radius=5, beta=10, exp_times=3)
    label = walk_label_map(walked, (40, 40), bg_threshold=0.2)
    assert label.shape == (40, 40)
    assert (label[:, :14] == 1).all()  # left of the wall (x4, blurred edge)
    assert (label[:, 20:] == 0).all()  # right of it


def test_one_global_maximum_not_one_per_class():
    walked = torch.zeros(2, 3, 3)
    walked[0, 0, 0] = 1.0
    walked[1, 2, 2] = 0.1  # its own maximum, but 0.1 of the global one
    label = walk_label_map(walked, (12, 12), bg_threshold=0.2)
    assert label[0, 0] == 1
    assert not (label == 2).any()
    walked[1, 2, 2] = 0.5
    assert (walk_label_map(walked, (12, 12), bg_threshold=0.2) == 2).any()
    empty = walk_label_map(torch.zeros(0, 3, 3), (10, 11), bg_threshold=0.2)
    assert empty.shape == (10, 11) and (empty == 0).all()


def test_masks_are_written_as_class_ids(tmp_path):
    compact = np.array([[0, 1], [2, 1]])
    write_walk_mask(compact, np.array([4, 19]), '/x/2007_000001.jpg',
                    out_dir=str(tmp_path), crf_iterations=0)
    mask = np.array(Image.open(tmp_path / '2007_000001.png'))
    assert mask.tolist() == [[0, 5], [20, 5]]
    # the camera-ready CRF: refines the compact labels with the image
    image = np.zeros((8, 8, 3), np.uint8)
    image[:, 4:] = 255
    Image.fromarray(image).save(tmp_path / 'img.png')
    compact = np.zeros((8, 8), np.int64)
    compact[:, 3:] = 1
    (tmp_path / 'out').mkdir()
    write_walk_mask(compact, np.array([7]), str(tmp_path / 'img.png'),
                    out_dir=str(tmp_path / 'out'), crf_iterations=1)
    mask = np.array(Image.open(tmp_path / 'out/img.png'))
    assert set(np.unique(mask)) <= {0, 8} and (mask[:, 5:] == 8).all()
