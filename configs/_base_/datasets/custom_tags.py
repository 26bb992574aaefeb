# Your images and their tags (docs/CUSTOM_DATA.md): the one file to edit.
# Values marked SET are yours; the others work as they are. The configs of
# configs/custom/ read it (for a second dataset: copy this file and them,
# and point their _base_ at the copy).
tags = dict(
    data_root='data/my_images',  # SET: the folder holding the two below
    img_dir='images',            # SET: the images, in any tree of folders
    label_file='tags.csv',       # SET: CSV "image,labels" (tags a;b) / JSON
    # SET: the class names as the table writes them; label k + 1 of a mask
    # is classes[k] (verify_dataset.py lists the table's names and counts)
    classes=['cat', 'dog'],
    # what CLIP reads for a class in "a photo of {}.": its name unless given
    # here, e.g. dict(tv='television screen') (a name or a short phrase)
    clip_texts=dict(),
    palette=None,   # K RGB colours [[r, g, b], ...]; None: VOC's colours
    held_out=0.1,   # share of the images kept out to choose checkpoints
    include_unlisted=False,  # True: images the table omits show no class
    skip_bad_rows=None)  # a file: train without the rows that have problems
# masks of these images ({image id}.png: 0 background, k + 1 class k), for
# evaluation only (tools/test.py); None: nothing is evaluated
tags_mask_dir = None
tags_work_dir = 'work_dirs/custom_tags'  # every run writes below it
# the background threshold of the pseudo masks: fixed, as label-free model
# selection needs (docs/SELECTION.md); 0.43 is the reference's DeiT-S value
tags_bg_threshold = 0.43

# ---- derived from the above: nothing to edit below ------------------------
tags_num_classes = len(tags['classes'])
tags_clip_texts = [tags['clip_texts'].get(c, c) for c in tags['classes']]
tag_dataset = dict(type='ImageTagDataset', **tags)
