"""tools/dataset_converters/coco2014_weak.py on the tiny COCO-2014 fixture."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fixtures import make_coco_fixture

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/dataset_converters/coco2014_weak.py'
spec = importlib.util.spec_from_file_location('coco2014_weak', TOOL)
coco2014_weak = importlib.util.module_from_spec(spec)
spec.loader.exec_module(coco2014_weak)

T9, T25, T30, T81 = (f'COCO_train2014_0000000000{i:02d}'
                     for i in (9, 25, 30, 81))
V42, V73 = 'COCO_val2014_000000000042', 'COCO_val2014_000000000073'


def expected_masks(id_space, overlap='first'):
    """Hand-written from the fixture's table (8 x 10 images)."""
    if id_space == 80:
        person, dog, stop, drier, toothbrush = 1, 17, 12, 79, 80
    else:
        person, dog, stop, drier, toothbrush = 1, 18, 13, 89, 90
    m9 = np.zeros((8, 10), np.uint8)
    m9[2:6, 2:8] = dog
    m9[0:4, 0:4] = person  # first in the file: keeps the shared 2:4 x 2:4
    if overlap == 'ignore':
        m9[2:4, 2:4] = 255
    m25 = np.zeros((8, 10), np.uint8)
    m25[1:7, 5:9] = toothbrush
    m25[5:8, 0:3] = drier
    m81 = np.zeros((8, 10), np.uint8)
    m81[:, 0:8] = person  # two overlapping persons: no conflict
    m42 = np.zeros((8, 10), np.uint8)
    m42[4:8, 0:3] = 255  # the crowd car ...
    m42[1:5, 1:5] = stop  # ... loses row 4, columns 1-2 to the stop sign
    return {f'train2014/{T9}': m9, f'train2014/{T25}': m25,
            f'train2014/{T81}': m81, f'val2014/{V42}': m42}


def read(out, name):
    return cv2.imread(str(out / 'masks' / f'{name}.png'),
                      cv2.IMREAD_UNCHANGED)


def snapshot(folder, skip=None):
    return sorted((p, p.stat().st_mtime_ns) for p in folder.rglob('*')
                  if skip is None or skip not in p.parents and p != skip)


def lines(path):
    return path.read_text().splitlines()


@pytest.mark.parametrize('id_space', [80, 90])
def test_masks_labels_and_lists_equal_hand_expected(tmp_path, id_space):
    coco = tmp_path / 'coco'
    expected = make_coco_fixture(str(coco), num_images=6)
    assert expected['train'] == {T9: [1, 18], T25: [89, 90], T30: [],
                                 T81: [1]}
    assert expected['val'] == {V42: [13], V73: []}
    before = snapshot(coco)
    out = tmp_path / 'out'
    written = coco2014_weak.convert_coco2014(
        str(coco), str(out), id_space=id_space, progress=False)
    assert snapshot(coco) == before  # nothing written into the inputs
    for name, mask in expected_masks(id_space).items():
        got = read(out, name)
        assert got.dtype == np.uint8 and got.shape == (8, 10)
        np.testing.assert_array_equal(got, mask, err_msg=name)
    # 30 has no object, 73 only a crowd: no mask, no label, not listed
    assert sorted(str(p.relative_to(out / 'masks'))
                  for p in (out / 'masks').rglob('*')
                  if p.is_file()) == sorted(
                      f'{n}.png' for n in expected_masks(id_space))
    assert lines(out / 'train_ids.txt') == [T9, T25, T81]
    assert lines(out / 'val_ids.txt') == [V42]
    assert lines(out / 'val_seed_1250.txt') == [V42]  # val is smaller
    assert written == dict(train_ids=[T9, T25, T81], val_ids=[V42],
                           val_seed_1250=[V42])
    labels = np.load(out / f'cls_labels_coco{id_space}.npy',
                     allow_pickle=True).item()
    assert all(v.dtype == np.float32 and v.shape == (id_space, )
               for v in labels.values())
    hot = {k: (np.flatnonzero(v) + 1).tolist() for k, v in labels.items()}
    if id_space == 80:  # crowd car (3) of V42 is no label
        assert hot == {T9: [1, 17], T25: [79, 80], T81: [1], V42: [12]}
    else:
        assert hot == {T9: [1, 18], T25: [89, 90], T81: [1], V42: [13]}
    assert not (out / f'cls_labels_coco{170 - id_space}.npy').exists()


def test_overlaps_of_two_categories_can_be_ignored(tmp_path):
    make_coco_fixture(str(tmp_path / 'coco'), num_images=6)
    out = tmp_path / 'out'
    coco2014_weak.convert_coco2014(
        str(tmp_path / 'coco'), str(out), overlap='ignore', progress=False)
    for name, mask in expected_masks(80, overlap='ignore').items():
        np.testing.assert_array_equal(read(out, name), mask, err_msg=name)


def test_split_runs_add_to_one_label_file(tmp_path):
    make_coco_fixture(str(tmp_path / 'coco'), num_images=6)
    out = tmp_path / 'out'
    coco2014_weak.convert_coco2014(str(tmp_path / 'coco'), str(out),
                                   splits=['train'], progress=False)
    assert not (out / 'val_seed_1250.txt').exists()  # no val this run
    coco2014_weak.convert_coco2014(str(tmp_path / 'coco'), str(out),
                                   splits=['val'], progress=False)
    labels = np.load(out / 'cls_labels_coco80.npy', allow_pickle=True).item()
    assert sorted(labels) == [T9, T25, T81, V42]
    assert lines(out / 'train_ids.txt') == [T9, T25, T81]


def test_seed_subset_is_seeded_and_keeps_list_order():
    ids = [f'id{i:02d}' for i in range(40)]
    a = coco2014_weak.seed_subset(ids, 5, seed=0)
    assert a == coco2014_weak.seed_subset(ids, 5, seed=0)
    assert len(set(a)) == 5 and set(a) <= set(ids)
    assert a == sorted(a)  # list order kept
    assert a != coco2014_weak.seed_subset(ids, 5, seed=1)
    assert coco2014_weak.seed_subset(ids[:3], 5, seed=0) == ids[:3]


@pytest.mark.slow
def test_cli_writes_next_to_the_download_and_reports(tmp_path):
    coco = tmp_path / 'coco'
    make_coco_fixture(str(coco), num_images=6)
    out = coco / 'semples'  # a new folder inside the COCO root is fine
    before = snapshot(coco)
    res = subprocess.run(
        [sys.executable, str(TOOL), str(coco), str(out), '--id-space', '90',
         '--splits', 'train', 'val', '--seed-subset', '1'],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert 'train_ids.txt: 3 images' in res.stdout
    assert 'val_seed_1.txt: 1 images' in res.stdout
    assert snapshot(coco, skip=out) == before
    np.testing.assert_array_equal(read(out, f'val2014/{V42}'),
                                  expected_masks(90)[f'val2014/{V42}'])
    assert (out / 'cls_labels_coco90.npy').is_file()


# ---------------------------------------------------------------- bad input
def test_refuses_to_write_into_input_folders(tmp_path):
    coco = tmp_path / 'coco'
    make_coco_fixture(str(coco))
    before = snapshot(coco)
    for out in (coco, coco / 'annotations', coco / 'train2014' / 'masks',
                coco / 'val2014'):
        with pytest.raises(ValueError, match=str(out)):
            coco2014_weak.convert_coco2014(str(coco), str(out),
                                           progress=False)
    assert snapshot(coco) == before


def test_missing_root_and_annotation_file_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        coco2014_weak.convert_coco2014(str(tmp_path / 'nowhere'),
                                       str(tmp_path / 'out'))
    make_coco_fixture(str(tmp_path / 'coco'))
    (tmp_path / 'coco/annotations/instances_val2014.json').unlink()
    with pytest.raises(FileNotFoundError, match='instances_val2014.json'):
        coco2014_weak.convert_coco2014(str(tmp_path / 'coco'),
                                       str(tmp_path / 'out'))
    assert not (tmp_path / 'out').exists()  # checked before any write


def test_unknown_category_and_bad_arguments_are_named(tmp_path):
    make_coco_fixture(str(tmp_path / 'coco'))
    path = tmp_path / 'coco/annotations/instances_train2014.json'
    data = json.loads(path.read_text())
    data['categories'].append(dict(id=12, name='street sign'))
    data['annotations'][0]['category_id'] = 12
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r'instances_train2014.json.*\[12\]'):
        coco2014_weak.convert_coco2014(str(tmp_path / 'coco'),
                                       str(tmp_path / 'out'))
    with pytest.raises(ValueError, match='id-space.*91'):
        coco2014_weak.convert_coco2014(str(tmp_path / 'coco'),
                                       str(tmp_path / 'out'), id_space=91)
    with pytest.raises(ValueError, match="splits.*'test'"):
        coco2014_weak.convert_coco2014(str(tmp_path / 'coco'),
                                       str(tmp_path / 'out'),
                                       splits=['test'])
    with pytest.raises(ValueError, match="overlap.*'last'"):
        coco2014_weak.convert_coco2014(str(tmp_path / 'coco'),
                                       str(tmp_path / 'out'), overlap='last')
