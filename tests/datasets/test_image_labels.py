"""Label files and id lists in the formats the field uses, or a message
naming the format."""
import numpy as np
import pytest

from semples_mmseg.datasets.image_labels import (load_label_map,
                                                 read_id_list,
                                                 read_label_file)


def test_id_list_with_a_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / 'train.txt'
    path.write_bytes(b'\xef\xbb\xbf2007_000032\r\n2007_000039\r\n')
    assert read_id_list(str(path)) == ['2007_000032', '2007_000039']
    path.write_bytes('2007_000032\n'.encode('utf-16'))
    with pytest.raises(ValueError, match='train.txt is UTF-16 encoded'):
        read_id_list(str(path))


def test_corrupt_label_file_is_named(tmp_path):
    path = tmp_path / 'cls_labels.npy'
    np.save(path, {'a': np.ones(3)})
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match='cls_labels.npy cannot be read.*'
                       'corrupt or not a .npy file'):
        read_label_file(str(path), 3)
    np.save(path, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r'holds an array of shape \(4, 3\)'):
        read_label_file(str(path), 3)


def test_label_vectors_must_be_multi_hot(tmp_path):
    path = tmp_path / 'cls_labels.npy'
    np.save(path, {'a': np.array([0, 1, 0]), 'b': np.array([0.5, 0, 2]),
                   'c': np.array([1, 1, 0])})
    with pytest.raises(ValueError) as info:
        read_label_file(str(path), 3)
    message = str(info.value)
    assert 'cls_labels.npy' in message and 'hold 0.5, 2 ' in message
    assert '1 of 3' in message and 'id b' in message


def test_integer_keyed_label_files(tmp_path):
    path = tmp_path / 'labels.npy'
    vec = np.array([0, 1, 0], np.float32)
    # COCO image ids as ints, split ids as official stems
    np.save(path, {9: vec, 25: 1 - vec})
    ids = ['COCO_train2014_000000000009', 'COCO_train2014_000000000025']
    got = read_label_file(str(path), 3, ids=ids)
    np.testing.assert_array_equal(got[ids[0]], vec)
    np.testing.assert_array_equal(got[ids[1]], 1 - vec)
    # VOC ids as all their digits
    np.save(path, {np.int64(2007000032): vec})
    assert list(read_label_file(str(path), 3, ids=['2007_000032'])) == [
        '2007_000032']
    # ambiguous: 2007_000032 and 2008_000032 both end in 32
    np.save(path, {32: vec})
    with pytest.raises(ValueError, match='keyed by integers'):
        read_label_file(str(path), 3, ids=['2007_000032', '2008_000032'])


def test_rgb_mask_is_named(tmp_path):
    import cv2
    path = tmp_path / 'm.png'
    cv2.imwrite(str(path), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match='m.png has 3 channels: an '
                       'RGB-coloured mask'):
        load_label_map(str(path))
