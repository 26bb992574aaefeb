"""Class names for display and for CLIP prompts, and the COCO id spaces."""
from mmseg.datasets import PascalVOCDataset

# mmseg's own VOC metainfo: ('background', 'aeroplane', ...) and palette
VOC_CLASSES = tuple(PascalVOCDataset.METAINFO['classes'])
VOC_PALETTE = [list(c) for c in PascalVOCDataset.METAINFO['palette']]

# the words the reference puts into "a photo of {name}." ("player" for person)
VOC_PROMPT_NAMES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus',
                    'car', 'cat', 'chair', 'cow', 'dining table', 'dog',
                    'horse', 'motorbike', 'player', 'potted plant', 'sheep',
                    'sofa', 'train', 'tv monitor')

COCO_NAMES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
    'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
    'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush')
COCO_CLASSES = ('background', ) + COCO_NAMES
COCO_PROMPT_NAMES = COCO_NAMES

# COCO's raw category ids (1..90, ten unused) in the order of COCO_NAMES
COCO_CATEGORY_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17,
                     18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34,
                     35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49,
                     50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
                     64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81,
                     82, 84, 85, 86, 87, 88, 89, 90)
assert len(COCO_CATEGORY_IDS) == len(COCO_NAMES) == 80
# ids 1..90 that no COCO category uses
COCO_UNUSED_IDS = tuple(sorted(set(range(1, 91)) - set(COCO_CATEGORY_IDS)))
# names of the ten unused ids in the reference's 90-id lists (WeakTr's
# evaluation.py categories_coco, SemPLeS' clip_utils.py category_dict)
COCO_UNUSED_NAMES = {12: 'street sign', 26: 'hat', 29: 'shoe',
                     30: 'eye glasses', 45: 'plate', 66: 'mirror',
                     68: 'window', 69: 'desk', 71: 'door', 83: 'blender'}
assert tuple(sorted(COCO_UNUSED_NAMES)) == COCO_UNUSED_IDS
# raw id 1..90 -> name: the reference's 90 class tokens and CLIP prompts
COCO90_NAMES = tuple({
    **dict(zip(COCO_CATEGORY_IDS, COCO_NAMES)),
    **COCO_UNUSED_NAMES
}[cid] for cid in range(1, 91))
COCO90_CLASSES = ('background', ) + COCO90_NAMES
COCO90_PROMPT_NAMES = COCO90_NAMES
# raw id -> contiguous label (1..80); 0 stays background
COCO_ID_TO_CONTIGUOUS = {cid: i + 1 for i, cid in enumerate(COCO_CATEGORY_IDS)}
# contiguous label (1..80) -> raw id
COCO_CONTIGUOUS_TO_ID = {i + 1: cid for i, cid in enumerate(COCO_CATEGORY_IDS)}


def coco_labels_90_to_80(vec90):
    """A (..., 90) vector indexed by raw id - 1 -> (..., 80) contiguous."""
    import numpy as np
    return np.asarray(vec90)[..., np.asarray(COCO_CATEGORY_IDS) - 1]


def coco_labels_80_to_90(vec80):
    """A (..., 80) contiguous vector -> (..., 90) indexed by raw id - 1
    (the ten unused ids stay 0)."""
    import numpy as np
    vec80 = np.asarray(vec80)
    out = np.zeros(vec80.shape[:-1] + (90, ), vec80.dtype)
    out[..., np.asarray(COCO_CATEGORY_IDS) - 1] = vec80
    return out


def distinct_palette(num: int, seed: int = 3):
    """``num`` RGB colours, background black, deterministic."""
    import numpy as np
    rng = np.random.default_rng(seed)
    colours = rng.integers(40, 256, size=(num, 3)).tolist()
    colours[0] = [0, 0, 0]
    return colours
