"""The export hands the CRF background and every image-level class."""
import numpy as np
from mmseg.structures import SegDataSample
from PIL import Image

from semples_mmseg.pseudo_masks.export import (crf_label_set,
                                               write_image_outputs)


def test_label_set_is_background_and_the_image_classes():
    sample = SegDataSample(metainfo=dict(
        img_labels=np.array([0, 1, 0, 0, 1], np.float32)))
    assert crf_label_set(sample).tolist() == [0, 2, 5]
    assert crf_label_set(SegDataSample()) is None


def test_writer_passes_the_label_set_to_the_crf(tmp_path):
    img_path = tmp_path / 'a.jpg'
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(img_path)
    seen = []

    def crf(image, label, label_set=None):
        seen.append((image.shape, label_set))
        return label + 1

    label = np.zeros((4, 6), np.uint8)
    write_image_outputs(label, None, str(img_path), out_dir=str(tmp_path),
                        crf=crf, label_set=np.array([0, 2, 5]))
    write_image_outputs(label, None, str(img_path), out_dir=str(tmp_path),
                        crf=crf)
    assert seen[0][0] == (4, 6, 3) and seen[0][1].tolist() == [0, 2, 5]
    assert seen[1][1] is None
    assert (np.array(Image.open(tmp_path / 'a.png')) == 1).all()
