"""The world handed over as a plain folder and a CSV: nothing of the VOC
layout left, the same pixels and tags, the masks aside under the photos'
new names, and the library's ImageTagDataset reads it as it is."""
import csv
import filecmp

import numpy as np

from cooccur_demo.plain_folder import export_plain_folder
from cooccur_demo.world import OBJECT_NAMES, write_world
from semples_mmseg.datasets import ImageTagDataset


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.reader(f))


def test_export_keeps_pixels_tags_and_masks_under_new_names(tmp_path):
    world, out = tmp_path / 'world', tmp_path / 'plain'
    write_world(str(world), num_train=6, num_val=3, image_size=48)
    assert export_plain_folder(str(world), str(out)) == dict(
        folder=6, new_photos=3)
    folder_files = sorted(p.relative_to(out / 'folder')
                          for p in (out / 'folder').rglob('*')
                          if p.is_file())
    assert str(folder_files[-1]) == 'tags.csv'
    assert all(str(p).startswith('photos/batch_0/photo_')
               for p in folder_files[:-1])
    names = dict(read_csv(out / 'answers/names.csv')[1:])
    labels = np.load(world / 'cls_labels.npy', allow_pickle=True).item()
    for part in ('folder', 'new_photos'):
        rows = read_csv(out / part / 'tags.csv')
        assert rows[0] == ['image', 'labels']
        assert len(rows) - 1 == (6 if part == 'folder' else 3)
        for image, tags in rows[1:]:
            world_id = names[f'{part}/photos/{image}']
            assert world_id.startswith('train_' if part == 'folder'
                                       else 'val_')
            expected = {OBJECT_NAMES[k]
                        for k in np.flatnonzero(labels[world_id])}
            assert set(tags.split(';')) == expected
            assert filecmp.cmp(out / part / 'photos' / image,
                               world / 'JPEGImages' / f'{world_id}.jpg',
                               shallow=False)
            mask = (out / 'answers' / part / image).with_suffix('.png')
            assert filecmp.cmp(mask, world / 'SegmentationClassAug' /
                               f'{world_id}.png', shallow=False)
    dataset = ImageTagDataset(
        data_root=str(out / 'folder'), img_dir='photos',
        label_file='tags.csv', classes=list(OBJECT_NAMES),
        mask_dir=str(out / 'answers/folder'), masks_required=True,
        pipeline=[])
    assert len(dataset) == 6
    info = dataset.get_data_info(0)
    assert info['seg_map_path'].endswith(info['img_id'] + '.png')
