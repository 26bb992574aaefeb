"""The world handed over as a plain folder and a CSV: nothing of the VOC
layout left, the same pixels and tags, the masks aside under the photos'
new names, and the library's ImageTagDataset reads it as it is."""
import csv
import filecmp
import importlib.util
from pathlib import Path

import numpy as np

from cooccur_demo.plain_folder import export_plain_folder
from cooccur_demo.world import OBJECT_NAMES, write_world
from semples_mmseg.datasets import ImageTagDataset

TOOLS = Path(__file__).resolve().parents[3] / 'projects/cooccur_demo/tools'


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


def test_the_export_tool_writes_the_same_folder(tmp_path, capsys):
    world = tmp_path / 'world'
    write_world(str(world), num_train=4, num_val=2, image_size=32)
    spec = importlib.util.spec_from_file_location(
        'export_plain_folder', TOOLS / 'export_plain_folder.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main([str(world), str(tmp_path / 'a')])
    assert 'wrote 4 photos with their tags' in capsys.readouterr().out
    export_plain_folder(str(world), str(tmp_path / 'b'))
    for name in ('folder/tags.csv', 'new_photos/tags.csv',
                 'answers/names.csv'):
        assert filecmp.cmp(tmp_path / 'a' / name, tmp_path / 'b' / name,
                           shallow=False)
