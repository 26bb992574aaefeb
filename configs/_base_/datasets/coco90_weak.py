# COCO 2014 in the reference's 90-id space (WeakTr / SemPLeS: one class per raw
# COCO category id 1..90, the ten unused ids included), as written by
#   python tools/dataset_converters/coco2014_weak.py \
#       data/coco data/coco/semples90 --id-space 90
# masks 0 / category id / 255, cls_labels_coco90.npy with (90,) vectors. The
# model sees K = 90; seeds are scored over 91 classes with background, where
# the unused ids never occur and drop out as NaN (as the reference's
# evaluation.py --num_classes 91). Checkpoint choice as the reference: a
# 1250-image subset of *train* (WeakTr's coco/train_1250_id.txt, bare 12-digit
# ids), written in our layout once (the file is the reference's, not shipped):
#   sed 's/^/COCO_train2014_/' WeakTr/coco/train_1250_id.txt \
#       > data/coco/semples90/train_1250_ids.txt
# The COCO-90 configs (configs/{weaktr,semples}/weaktr_coco90.py) inherit
# their COCO config next to this file and switch its dataloaders to these
# files; tools/test.py then scores the 1250 images (the reference's seed
# number is over all of train: test_dataloader.dataset.ann_file=train_ids.txt).
from importlib import import_module

# the reference's 90 prompt names (raw id k is entry k - 1; the unused ids
# carry its names 'street sign', 'hat', ..., 'blender'), from the package's
# class_names.py
coco90_prompt_names = list(
    import_module('semples_mmseg.datasets.class_names').COCO90_PROMPT_NAMES)
