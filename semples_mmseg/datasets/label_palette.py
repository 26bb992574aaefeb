"""Distinct colours for the labels of a dataset without a palette."""
from typing import List


def label_palette(num_labels: int) -> List[List[int]]:
    """``num_labels`` RGB colours: label 0 (background) black, then the
    colours of PASCAL VOC's colour map (the bits of the label spread over
    the high bits of R, G and B), so classes 1..20 look as in VOC."""
    palette = []
    for label in range(num_labels):
        rgb, bits = [0, 0, 0], label
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((bits >> channel) & 1) << shift
            bits >>= 3
        palette.append(rgb)
    return palette
