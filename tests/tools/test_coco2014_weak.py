"""tools/dataset_converters/coco2014_weak.py on the tiny COCO-2014 fixture."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from semples_mmseg.testing import make_coco_fixture

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools/dataset_converters/coco2014_weak.py'
spec = importlib.util.spec_from_file_location('coco2014_weak', TOOL)
coco2014_weak = importlib.util.module_from_spec(spec)
spec.loader.exec_module(coco2014_weak)


def expected_masks(id_space, crowd='class', overlap='first'):
    """Hand-written from the fixture's table (8 x 10 images)."""
    person, dog, toothbrush, car, stop = (1, 17, 80, 3, 12) \
        if id_space == 80 else (1, 18, 90, 3, 13)
    m1 = np.zeros((8, 10), np.uint8)
    m1[2:6, 2:8] = dog
    m1[0:4, 0:4] = person  # person comes first in the file: it keeps 2:4, 2:4
    if overlap == 'ignore':
        m1[2:4, 2:4] = 255
    m2 = np.zeros((8, 10), np.uint8)
    m2[1:7, 5:9] = toothbrush
    m2[4:8, 0:3] = car if crowd == 'class' else 255
    m4 = np.zeros((8, 10), np.uint8)
    m4[1:5, 1:5] = stop
    return {'000000000001': m1, '000000000002': m2, '000000000004': m4}


def read(out, name):
    return cv2.imread(str(out / 'class_labels' / f'{name}.png'),
                      cv2.IMREAD_UNCHANGED)


def snapshot(folder):
    return sorted((p, p.stat().st_mtime_ns) for p in folder.rglob('*'))


@pytest.mark.parametrize('id_space', [80, 90])
def test_masks_labels_and_lists_equal_hand_expected(tmp_path, id_space):
    coco = tmp_path / 'coco'
    make_coco_fixture(str(coco))
    before = snapshot(coco)
    out = tmp_path / 'out'
    written = coco2014_weak.convert_coco2014(
        str(coco), str(out), id_space=id_space, subset=1)
    assert snapshot(coco) == before  # nothing written into the inputs
    for name, mask in expected_masks(id_space).items():
        got = read(out, name)
        assert got.dtype == np.uint8 and got.shape == (8, 10)
        np.testing.assert_array_equal(got, mask, err_msg=name)
    # image 3 and 5 have no annotation: no mask, not listed
    assert sorted(p.name for p in (out / 'class_labels').iterdir()) == [
        '000000000001.png', '000000000002.png', '000000000004.png'
    ]
    assert (out / 'train.txt').read_text() == '000000000001\n000000000002\n'
    assert (out / 'val.txt').read_text() == '000000000004\n'
    subset = (out / 'train_1.txt').read_text().split()
    assert len(subset) == 1 and subset[0] in ('000000000001', '000000000002')
    assert written['train_1'] == subset
    labels = np.load(out / 'cls_labels.npy', allow_pickle=True).item()
    assert sorted(labels) == ['000000000001', '000000000002', '000000000004']
    hot = {k: (np.flatnonzero(v) + 1).tolist() for k, v in labels.items()}
    if id_space == 80:
        assert hot == {'000000000001': [1, 17], '000000000002': [3, 80],
                       '000000000004': [12]}
    else:
        assert hot == {'000000000001': [1, 18], '000000000002': [3, 90],
                       '000000000004': [13]}
    assert all(v.dtype == np.float32 and v.shape == (id_space, )
               for v in labels.values())


def test_crowd_and_overlap_can_be_ignored(tmp_path):
    make_coco_fixture(str(tmp_path / 'coco'))
    out = tmp_path / 'out'
    coco2014_weak.convert_coco2014(
        str(tmp_path / 'coco'), str(out), crowd='ignore', overlap='ignore',
        subset=0)
    for name, mask in expected_masks(80, 'ignore', 'ignore').items():
        np.testing.assert_array_equal(read(out, name), mask, err_msg=name)
    assert not list(out.glob('train_*.txt'))
    # the crowd car still counts as an image label
    labels = np.load(out / 'cls_labels.npy', allow_pickle=True).item()
    assert labels['000000000002'][3 - 1] == 1


def test_cli_runs_and_reports(tmp_path):
    make_coco_fixture(str(tmp_path / 'coco'))
    res = subprocess.run(
        [sys.executable, str(TOOL), str(tmp_path / 'coco'),
         str(tmp_path / 'coco/voc_format'), '--id-space', '90',
         '--splits', 'val'],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert 'val.txt: 1 ids' in res.stdout
    np.testing.assert_array_equal(
        read(tmp_path / 'coco/voc_format', '000000000004'),
        expected_masks(90)['000000000004'])
    assert not (tmp_path / 'coco/voc_format/train.txt').exists()


# ---------------------------------------------------------------- bad input
def test_refuses_to_write_into_input_folders(tmp_path):
    coco = tmp_path / 'coco'
    make_coco_fixture(str(coco))
    before = snapshot(coco)
    for out in (coco, coco / 'annotations', coco / 'train2014' / 'masks'):
        with pytest.raises(ValueError, match=str(out)):
            coco2014_weak.convert_coco2014(str(coco), str(out))
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


def test_unknown_category_and_bad_id_space_are_named(tmp_path):
    import json
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
