"""COCOWeakDataset on the converter's output (80 and 90-id layouts) and the
COCO configs."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from semples_mmseg.datasets import COCOWeakDataset
from semples_mmseg.datasets.class_names import (COCO_CLASSES,
                                                COCO_CONTIGUOUS_TO_ID,
                                                COCO_ID_TO_CONTIGUOUS,
                                                COCO_PROMPT_NAMES,
                                                COCO_UNUSED_IDS,
                                                coco_labels_80_to_90,
                                                coco_labels_90_to_80)
from fixtures import make_coco_fixture

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'coco2014_weak_for_dataset',
    REPO / 'tools/dataset_converters/coco2014_weak.py')
converter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(converter)

PIPELINE = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadWeakAnnotations'),
    dict(type='PackWeakSegInputs', num_classes=80)
]
T9, T25, T81 = (f'COCO_train2014_0000000000{i:02d}' for i in (9, 25, 81))
V42 = 'COCO_val2014_000000000042'


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """root/coco: the download; root/fmt80, root/fmt90: converter outputs."""
    root = tmp_path_factory.mktemp('coco_ds')
    make_coco_fixture(str(root / 'coco'), num_images=6)
    for id_space in (80, 90):
        converter.convert_coco2014(str(root / 'coco'),
                                   str(root / f'fmt{id_space}'),
                                   id_space=id_space, progress=False)
    return root


def coco(root, id_space=80, split='train', **kw):
    kw.setdefault('pipeline', PIPELINE)
    return COCOWeakDataset(
        data_root=str(root / f'fmt{id_space}'),
        ann_file=f'{split}_ids.txt',
        img_dir=f'../coco/{split}2014',
        seg_dir=f'masks/{split}2014',
        id_space=id_space,
        **kw)


def samples(ds):
    out = []
    for i in range(len(ds)):
        s = ds[i]['data_samples']
        out.append((Path(s.metainfo['img_path']).name,
                    (np.flatnonzero(s.metainfo['img_labels']) + 1).tolist(),
                    s.gt_sem_seg.data[0].numpy()))
    return out


def test_class_names_and_id_maps():
    assert len(COCO_CLASSES) == 81 and COCO_CLASSES[0] == 'background'
    assert COCO_UNUSED_IDS == (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
    assert COCO_ID_TO_CONTIGUOUS[1] == 1 and COCO_ID_TO_CONTIGUOUS[90] == 80
    assert COCO_ID_TO_CONTIGUOUS[13] == 12 and COCO_CLASSES[12] == 'stop sign'
    assert COCO_CLASSES[COCO_ID_TO_CONTIGUOUS[18]] == 'dog'
    assert COCO_CLASSES[79] == 'hair drier' and COCO_CLASSES[80] == \
        'toothbrush'
    assert all(COCO_CONTIGUOUS_TO_ID[v] == k
               for k, v in COCO_ID_TO_CONTIGUOUS.items())
    vec = np.zeros(80, np.float32)
    vec[[0, 16, 79]] = 1
    v90 = coco_labels_80_to_90(vec)
    assert np.flatnonzero(v90).tolist() == [0, 17, 89]  # raw ids 1, 18, 90
    assert np.array_equal(coco_labels_90_to_80(v90), vec)


@pytest.mark.parametrize('id_space', [80, 90])
@pytest.mark.parametrize('with_label_file', [True, False])
def test_both_id_layouts_give_the_same_80_class_samples(
        converted, id_space, with_label_file):
    kw = dict(label_file=f'cls_labels_coco{id_space}.npy') \
        if with_label_file else {}
    ds = coco(converted, id_space, **kw)
    assert ds.metainfo['classes'] == COCO_CLASSES
    assert tuple(ds.metainfo['prompt_classes']) == COCO_PROMPT_NAMES
    assert len(ds.metainfo['palette']) == 81
    assert len({tuple(c) for c in ds.metainfo['palette']}) == 81
    m9 = np.zeros((8, 10), np.uint8)
    m9[2:6, 2:8] = 17  # dog
    m9[0:4, 0:4] = 1  # person
    m25 = np.zeros((8, 10), np.uint8)
    m25[1:7, 5:9] = 80  # toothbrush (COCO id 90)
    m25[5:8, 0:3] = 79  # hair drier (COCO id 89)
    m81 = np.zeros((8, 10), np.uint8)
    m81[:, 0:8] = 1
    got = samples(ds)
    assert [(name, labels) for name, labels, _ in got] == [
        (T9 + '.jpg', [1, 17]), (T25 + '.jpg', [79, 80]),
        (T81 + '.jpg', [1])]
    for (name, _, seg), want in zip(got, (m9, m25, m81)):
        np.testing.assert_array_equal(seg, want, err_msg=name)
    label_vec = ds[0]['data_samples'].metainfo['img_labels']
    assert label_vec.dtype == np.float32 and label_vec.shape == (80, )


def test_both_layouts_agree_on_val_through_a_dataloader(converted):
    seen = []
    for id_space in (80, 90):
        ds = coco(converted, id_space, split='val',
                  label_file=f'cls_labels_coco{id_space}.npy')
        (batch, ) = list(DataLoader(ds, batch_size=1,
                                    collate_fn=pseudo_collate))
        assert batch['inputs'][0].shape == (3, 8, 10)
        sample = batch['data_samples'][0]
        assert sample.metainfo['img_path'].endswith(
            f'coco/val2014/{V42}.jpg')
        seen.append((np.flatnonzero(sample.metainfo['img_labels']).tolist(),
                     sample.gt_sem_seg.data[0].numpy()))
    want = np.zeros((8, 10), np.uint8)
    want[4:8, 0:3] = 255  # crowd car
    want[1:5, 1:5] = 12  # stop sign (COCO id 13)
    for labels, seg in seen:
        assert labels == [11]
        np.testing.assert_array_equal(seg, want)


def test_absolute_img_dir_and_no_masks(converted):
    ds = COCOWeakDataset(
        data_root=str(converted / 'fmt80'), ann_file='train_ids.txt',
        img_dir=str(converted / 'coco/train2014'), seg_dir=None,
        label_file='cls_labels_coco80.npy', pipeline=PIPELINE)
    sample = ds[1]['data_samples']
    assert 'gt_sem_seg' not in sample
    assert sample.metainfo['img_path'] == str(
        converted / 'coco/train2014' / (T25 + '.jpg'))
    assert (np.flatnonzero(sample.metainfo['img_labels']) + 1).tolist() == \
        [79, 80]


def test_bare_ids_with_an_image_name_template(converted, tmp_path):
    (tmp_path / 'bare_ids.txt').write_text('000000000042\n')
    labels = np.load(converted / 'fmt90/cls_labels_coco90.npy',
                     allow_pickle=True).item()
    np.save(tmp_path / 'bare.npy', {'000000000042': labels[V42]})
    ds = COCOWeakDataset(
        data_root=str(tmp_path), ann_file='bare_ids.txt',
        img_dir=str(converted / 'coco/val2014'), seg_dir=None,
        label_file='bare.npy', id_space=90,
        img_name_template='COCO_val2014_{id}.jpg', pipeline=PIPELINE)
    sample = ds[0]['data_samples']
    assert sample.metainfo['img_path'].endswith(V42 + '.jpg')
    assert np.flatnonzero(sample.metainfo['img_labels']).tolist() == [11]


# ---------------------------------------------------------------- bad input
def test_required_masks_are_named_when_missing(converted, tmp_path):
    kw = dict(ann_file='train_ids.txt', img_dir='../coco/train2014',
              label_file='cls_labels_coco80.npy', masks_required=True)
    ds = COCOWeakDataset(data_root=str(converted / 'fmt80'),
                         seg_dir='masks/train2014', **kw)
    assert all(ds.get_data_info(i)['seg_map_path'] for i in range(len(ds)))
    with pytest.raises(FileNotFoundError, match="'.*nope'"):
        COCOWeakDataset(data_root=str(converted / 'fmt80'), seg_dir='nope',
                        **kw)
    masks = tmp_path / 'masks'
    masks.mkdir()
    (masks / (T9 + '.png')).write_bytes(
        (converted / 'fmt80/masks/train2014' / (T9 + '.png')).read_bytes())
    with pytest.raises(FileNotFoundError,
                       match=f'no mask {masks / T25}.png for image id {T25}'):
        COCOWeakDataset(data_root=str(converted / 'fmt80'),
                        seg_dir=str(masks), **kw)
    # without masks_required the image just has no mask
    ds = COCOWeakDataset(data_root=str(converted / 'fmt80'),
                         seg_dir=str(masks), **dict(kw, masks_required=False))
    assert ds.get_data_info(1)['seg_map_path'] is None


def test_90_layout_read_as_80_names_the_mask(converted):
    with pytest.raises(ValueError, match=T25 + r'.png.*\[89, 90\]'):
        COCOWeakDataset(data_root=str(converted / 'fmt90'),
                        ann_file='train_ids.txt',
                        img_dir='../coco/train2014', id_space=80)


def test_unused_raw_id_in_a_90_mask_is_named(converted, tmp_path):
    root = tmp_path / 'c'
    make_coco_fixture(str(root / 'coco'), num_images=2)
    converter.convert_coco2014(str(root / 'coco'), str(root / 'fmt90'),
                               id_space=90, splits=['val'], progress=False)
    mask = root / 'fmt90/masks/val2014' / (V42 + '.png')
    seg = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    seg[0, 0] = 12  # an id no COCO category uses
    cv2.imwrite(str(mask), seg)
    with pytest.raises(ValueError, match=V42 + r'.png.*\[12\]'):
        coco(root, 90, split='val')  # labels derived from the masks
    with pytest.raises(ValueError, match=V42 + r'.png.*\[12\]'):
        coco(root, 90, split='val', label_file='cls_labels_coco90.npy')
    ds = coco(root, 90, split='val', label_file='cls_labels_coco90.npy',
              scan=False)
    with pytest.raises(ValueError, match=V42 + r'.png.*\[12\]'):
        ds[0]  # without the scan, the loading transform checks it


def test_label_vectors_of_the_wrong_id_space_are_named(converted):
    with pytest.raises(ValueError, match=r'cls_labels_coco80.npy.*length 80,'
                       ' expected 90'):
        coco(converted, 90, label_file='../fmt80/cls_labels_coco80.npy')


def test_unused_id_set_in_a_label_vector_is_named(converted, tmp_path):
    labels = np.load(converted / 'fmt90/cls_labels_coco90.npy',
                     allow_pickle=True).item()
    labels[T25][26 - 1] = 1
    np.save(tmp_path / 'bad.npy', labels)
    with pytest.raises(ValueError, match=f'bad.npy.*{T25}.*\\[26\\]'):
        coco(converted, 90, label_file=str(tmp_path / 'bad.npy'))


def test_missing_label_entry_names_the_image_and_file(converted, tmp_path):
    labels = np.load(converted / 'fmt80/cls_labels_coco80.npy',
                     allow_pickle=True).item()
    del labels[T81]
    np.save(tmp_path / 'partial.npy', labels)
    with pytest.raises(KeyError, match=f'{T81}.*partial.npy'):
        coco(converted, label_file=str(tmp_path / 'partial.npy'))


def test_missing_paths_are_named(converted, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing_root'):
        COCOWeakDataset(data_root=str(converted / 'missing_root'),
                        ann_file='train_ids.txt', img_dir='../coco/train2014')
    with pytest.raises(FileNotFoundError, match='image folder .*train2041'):
        COCOWeakDataset(data_root=str(converted / 'fmt80'),
                        ann_file='train_ids.txt', img_dir='../coco/train2041')
    with pytest.raises(FileNotFoundError, match='test_ids.txt'):
        COCOWeakDataset(data_root=str(converted / 'fmt80'),
                        ann_file='test_ids.txt', img_dir='../coco/train2014')
    with pytest.raises(FileNotFoundError, match='cls_labels_coco81.npy'):
        coco(converted, label_file='cls_labels_coco81.npy')


def test_bad_constructor_arguments_are_named(converted):
    with pytest.raises(ValueError, match='id_space.*91'):
        coco(converted, id_space=91)
    with pytest.raises(ValueError, match='COCO_.jpg'):
        coco(converted, img_name_template='COCO_.jpg')
    with pytest.raises(TypeError, match='img_dir / seg_dir.*data_prefix'):
        coco(converted, data_prefix=dict(img_path='x'))


# ------------------------------------------------------------------ configs
def load_cfg(name):
    from mmengine.config import Config
    return Config.fromfile(str(REPO / 'configs' / name))


def test_semples_and_weaktr_coco_configs_carry_the_coco_constants():
    semples = load_cfg('semples/weaktr_coco.py')
    m = semples.model
    assert (m.cam_net.num_classes, m.cam_net.aaf_pool,
            m.cam_net.aaf_reduction) == (80, 'mean', 4)
    assert m.cam_net.pretrained == 'checkpoints/weaktr_coco_cam.pth'
    assert tuple(m.clip_guide.class_names) == COCO_PROMPT_NAMES
    assert m.prompt_learner.num_classes == 80
    assert (m.match_loss.lambda_b, m.prompt_loss.lambda_t,
            m.refine_loss.loss_weight) == (0.75, 0.01, 0.2)
    assert tuple(m.test_cfg.scales) == (1.0, 0.8, 1.2) and m.test_cfg.flip
    assert m.test_cfg.bg_threshold == 0.42
    stages = semples.train_cfg.stages
    base_batch = semples.train_dataloader.batch_size
    batches = [s.get('dataloader', {}).get('batch_size', base_batch)
               for s in stages]
    assert batches == [4, 16, 3]  # x 8 GPUs = 32 / 128 / 24
    # nominal rates of the reference's COCO scripts, x total batch / 512 by
    # auto_scale_lr (tests/engine/test_auto_scale_lr.py: 3.2e-7 / 2.5e-3 /
    # 2.4e-7 on 8 GPUs)
    lrs = [next(iter(s.lr.values())) for s in stages]
    assert lrs == [5.12e-6, 0.01, 5.12e-6]
    assert semples.auto_scale_lr == dict(enable=True, base_batch_size=512)
    weaktr = load_cfg('weaktr/weaktr_coco.py')
    c = weaktr.model.cam_net
    assert (c.num_classes, c.aaf_pool, c.aaf_reduction) == (80, 'mean', 4)
    assert weaktr.optim_wrapper.optimizer.lr == 5e-4  # x 32 / 512
    assert weaktr.auto_scale_lr == dict(enable=True, base_batch_size=512)
    for cfg in (semples, weaktr):
        assert cfg.train_dataloader.dataset.type == 'COCOWeakDataset'
        assert cfg.val_dataloader.dataset.ann_file == 'val_seed_1250.txt'
        assert cfg.val_evaluator.type == 'CAMSeedMetric'


def test_base_config_dataloaders_read_the_converted_fixture(tmp_path):
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = load_cfg('_base_/datasets/coco_weak.py')
    # K is the dataset's (checked when it reads the labels), not the
    # pipeline's: configs/_base_/datasets/weak_pipelines.py
    assert cfg.train_pipeline[-1] == dict(type='PackWeakSegInputs')
    # the config's layout: data/coco/{train,val}2014 + data/coco/semples
    make_coco_fixture(str(tmp_path / 'coco'), num_images=6)
    out = tmp_path / 'coco/semples'
    converter.convert_coco2014(str(tmp_path / 'coco'), str(out),
                               progress=False)
    train = DATASETS.build(dict(cfg.train_dataloader.dataset,
                                data_root=str(out)))
    batch = next(iter(DataLoader(train, batch_size=3,
                                 collate_fn=pseudo_collate)))
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 224, 224)] * 3
    assert all('gt_sem_seg' not in s for s in batch['data_samples'])
    assert all(s.metainfo['img_labels'].shape == (80,)
               for s in batch['data_samples'])
    assert [(np.flatnonzero(s.metainfo['img_labels']) + 1).tolist()
            for s in batch['data_samples']] == [[1, 17], [79, 80], [1]]
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=str(out)))
    (name, labels, seg), = samples(val)
    assert (name, labels) == (V42 + '.jpg', [12])
    assert seg.shape == (8, 10) and set(np.unique(seg)) == {0, 12, 255}
