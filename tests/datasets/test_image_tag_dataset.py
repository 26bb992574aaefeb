"""ImageTagDataset: a folder of images and a label table, every bad input
named with its row, the rows a run may skip written to a file."""
import csv

import numpy as np
import pytest
from PIL import Image

from fixtures import make_tag_folder
from semples_mmseg.datasets import ImageTagDataset
from semples_mmseg.datasets.image_tag_dataset import (TagTableError,
                                                      held_out_share)
from semples_mmseg.datasets.tag_table_check import check_tag_table

CLASSES = ['cat', 'dining table']


def dataset(root, **kwargs):
    settings = dict(data_root=str(root), img_dir='photos',
                    label_file='tags.csv', classes=CLASSES, pipeline=[])
    settings.update(kwargs)
    return ImageTagDataset(**settings)


@pytest.fixture
def folder(tmp_path):
    make_tag_folder(str(tmp_path), num_images=6, masks=True)
    return tmp_path


def write_table(root, text):
    (root / 'tags.csv').write_text('image,labels\n' + text, encoding='utf-8')


def test_a_folder_tree_and_its_table(folder):
    ds = dataset(folder, clip_texts={'dining table': 'table with dishes'})
    assert len(ds) == 6
    info = ds.get_data_info(1)
    assert info['img_id'] == 'set_b/img_001'
    assert info['img_path'] == str(folder / 'photos/set_b/img_001.jpg')
    assert info['tag_row'] == 'row 3'
    assert info['scan_shape'] == (48, 64)
    assert info['seg_map_path'] is None  # no mask_dir: no masks
    table = list(csv.reader(open(folder / 'tags.csv')))
    expected = np.array([[c in row[1].split(';') for c in CLASSES]
                         for row in table[1:]], np.float32)
    got = np.stack([ds.get_data_info(i)['img_labels'] for i in range(6)])
    np.testing.assert_array_equal(got, expected)
    assert ds.metainfo['classes'] == ('background', 'cat', 'dining table')
    assert ds.metainfo['prompt_classes'] == ('cat', 'table with dishes')
    assert ds.metainfo['palette'] == [[0, 0, 0], [128, 0, 0], [0, 128, 0]]
    with_masks = dataset(folder, mask_dir='masks', masks_required=True)
    assert with_masks.get_data_info(1)['seg_map_path'] == str(
        folder / 'masks/set_b/img_001.png')


def test_classes_from_the_table_and_a_palette_of_k(folder):
    write_table(folder, 'set_a/img_000.jpg,zebra;Ant\nset_b/img_001.jpg,'
                'ant\n')
    with pytest.raises(TagTableError) as err:
        dataset(folder, classes=None)
    assert err.value.problems == [
        "class names that differ only in case or spacing: 'Ant' (row 2), "
        "'ant' (row 3); write one of them, or list the classes in the "
        'config']
    write_table(folder, 'set_a/img_000.jpg,zebra;ant\nset_b/img_001.jpg,'
                'ant\n')
    ds = dataset(folder, classes=None, palette=[[1, 2, 3], [4, 5, 6]])
    assert ds.metainfo['classes'] == ('background', 'ant', 'zebra')
    assert ds.metainfo['palette'] == [[0, 0, 0], [1, 2, 3], [4, 5, 6]]
    with pytest.raises(ValueError, match='palette must be 2 or 3 RGB'):
        dataset(folder, classes=None, palette=[[1, 2, 3]])
    with pytest.raises(ValueError, match=r"names classes that are not in "
                       r"classes: \['dog'\]"):
        dataset(folder, clip_texts={'dog': 'a dog'})


def test_every_bad_row_is_named_at_once(folder):
    photos = folder / 'photos'
    (photos / 'set_a/img_000.jpg').rename(photos / 'set_a/img_000.JPEG')
    (photos / 'notes.txt').write_text('not an image')
    (photos / 'set_b/broken.jpg').write_bytes(b'\xff\xd8 not a JPEG')
    Image.new('RGB', (8, 8)).save(photos / 'set_b/img_003.png')
    write_table(folder, '\n'.join([
        'set_a/img_000.jpg,cat',             # 2: other suffix on disk
        'set_a/img_002.jpg,kat;dining tabel',  # 3: misspelled
        'set_b/img_001.jpg,',                # 4: no tags
        'set_a/img_004.jpg,cat',             # 5
        'set_a/img_004.jpg,dining table',    # 6: listed again
        'notes.txt,cat',                     # 7: not an image
        'set_b/broken.jpg,cat',              # 8: cannot be decoded
        'set_b/img_003.jpg,cat',             # 9
        'set_b/img_003.png,cat',             # 10: same mask name as 9
        '../outside.jpg,cat',                # 11
        'set_b/img_005.jpg,"cat,dog"',       # 12: ',' between tags
    ]) + '\n')
    with pytest.raises(TagTableError) as err:
        dataset(folder)
    problems = err.value.problems
    assert problems == [
        f'row 2: set_a/img_000.jpg does not exist in {photos} (found '
        'set_a/img_000.JPEG)',
        "row 3: unknown class 'kat' (closest: 'cat'); unknown class "
        "'dining tabel' (closest: 'dining table')",
        'row 4: no tags',
        'row 6: set_a/img_004.jpg is listed again (first in row 5)',
        'row 7: notes.txt is not an image file (image suffixes: .jpg, '
        '.jpeg, .png, .bmp, .tif, .tiff, .webp)',
        'row 8: set_b/broken.jpg cannot be decoded (cannot identify image '
        f"file '{photos}/set_b/broken.jpg')",
        'row 10: set_b/img_003.png and set_b/img_003.jpg (row 9) would '
        'share the mask name set_b/img_003.png',
        'row 11: ../outside.jpg is not a path below the image folder',
        "row 12: unknown class 'cat,dog' (tags are separated by ';': "
        'cat;dog)',
    ]
    assert str(err.value).startswith(
        f'label table {folder}/tags.csv: 9 problem(s) (fix them, or set '
        'skip_bad_rows=FILE')


def test_skipped_rows_are_written_and_left_out(folder):
    write_table(folder, 'set_a/img_000.jpg,cat\nset_b/img_001.jpg,dgo\n'
                'set_a/img_002.jpg,dining table\nset_a/img_002.jpg,cat\n')
    skipped = folder / 'out' / 'skipped.csv'
    ds = dataset(folder, skip_bad_rows=str(skipped))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [
        'set_a/img_000', 'set_a/img_002']
    with open(skipped, newline='', encoding='utf-8') as f:
        assert list(csv.reader(f)) == [
            ['row', 'image', 'labels', 'problem'],
            ['row 3', 'set_b/img_001.jpg', 'dgo', "unknown class 'dgo'"],
            ['row 5', 'set_a/img_002.jpg', 'cat',
             'set_a/img_002.jpg is listed again (first in row 4)']]
    # a problem of the whole table is never skipped
    with pytest.raises(TagTableError, match='differ only in case'):
        write_table(folder, 'set_a/img_000.jpg,Cat\nset_b/img_001.jpg,cat\n')
        dataset(folder, classes=None, skip_bad_rows=str(skipped))


def test_unlisted_images_are_counted_or_included(folder):
    write_table(folder, 'set_a/img_000.jpg,cat\n')
    report = check_tag_table(str(folder / 'tags.csv'),
                             str(folder / 'photos'), classes=CLASSES)
    assert report.unlisted == 5 and not report.problems
    assert report.notes[0].startswith('5 image(s) in ')
    assert 'include_unlisted=True' in report.notes[0]
    ds = dataset(folder, include_unlisted=True)
    assert len(ds) == 6
    labels = {ds.get_data_info(i)['img_id']: ds.get_data_info(i)['img_labels']
              for i in range(6)}
    assert labels['set_a/img_000'].tolist() == [1, 0]
    assert labels['set_b/img_005'].tolist() == [0, 0]  # shows no class


def ids(ds):
    return {ds.get_data_info(i)['img_id'] for i in range(len(ds))}


def test_subsets_split_by_a_fixed_hash(folder):
    parts = {s: ids(dataset(folder, subset=s, held_out=0.5))
             for s in ('train', 'held_out', 'all')}
    assert parts['train'] | parts['held_out'] == parts['all']
    assert not parts['train'] & parts['held_out']
    assert parts['held_out'] == {i for i in parts['all']
                                 if held_out_share(i) < 0.5}
    assert parts['held_out'] and parts['train']
    # an image keeps its subset when rows are removed from the table
    rows = (folder / 'tags.csv').read_text().splitlines()
    (folder / 'tags.csv').write_text('\n'.join(rows[:4]) + '\n')
    kept = ids(dataset(folder, subset='held_out', held_out=0.5))
    assert kept == parts['held_out'] & ids(dataset(folder))
    with pytest.raises(ValueError, match="'held_out' subset"):
        dataset(folder, subset='held_out', held_out=0.0)


def test_masks_required_names_the_missing_mask(folder):
    (folder / 'masks/set_b/img_003.png').unlink()
    with pytest.raises(FileNotFoundError,
                       match=r'1 image\(s\) .* have no mask.*img_003.png'):
        dataset(folder, mask_dir='masks', masks_required=True)
    ds = dataset(folder, mask_dir='masks', only_with_masks=True)
    assert len(ds) == 5


def test_settings_that_do_not_fit(folder):
    with pytest.raises(TypeError, match='img_dir / mask_dir, not '
                       'data_prefix'):
        dataset(folder, data_prefix=dict(img_path='photos'))
    with pytest.raises(TypeError, match='not ann_file'):
        dataset(folder, ann_file='train.txt')
    with pytest.raises(ValueError, match="subset must be one of"):
        dataset(folder, subset='val')
    with pytest.raises(ValueError, match='need mask_dir'):
        dataset(folder, masks_required=True)
