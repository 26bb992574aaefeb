"""label_palette: background black, then VOC's colour map, distinct beyond
VOC's 21 labels."""
from mmseg.datasets import PascalVOCDataset

from semples_mmseg.datasets.label_palette import label_palette


def test_the_first_21_colours_are_mmsegs_voc_palette():
    voc = [list(c) for c in PascalVOCDataset.METAINFO['palette']]
    assert label_palette(21) == voc


def test_labels_beyond_voc_get_distinct_colours():
    palette = label_palette(256)
    assert palette[21] == [128, 64, 128]  # bits of 21 spread over R, G, B
    assert len({tuple(c) for c in palette}) == 256
    assert label_palette(0) == []
