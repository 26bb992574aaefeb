"""The co-occurrence world: same seed same bytes, masks and labels that
match the painted objects, a VOC layout mmseg reads, the CLIP pairs."""
import filecmp
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from cooccur_demo.world import (HOME_SCENE, OBJECT_NAMES, SCENE_NAMES,
                                CooccurWorldDataset, read_world_meta,
                                render_layout, sample_layout,
                                sample_world_layouts, scene_objects_caption,
                                world_metainfo, write_world)
from semples_mmseg.datasets import VOCWeakDataset

SMALL = dict(num_train=6, num_val=3, image_size=48)


def tree_files(root):
    return sorted(p.relative_to(root) for p in Path(root).rglob('*')
                  if p.is_file())


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / 'a', tmp_path / 'b', tmp_path / 'c'
    write_world(str(a), seed=3, **SMALL)
    write_world(str(b), seed=3, **SMALL)
    write_world(str(c), seed=4, **SMALL)
    files = tree_files(a)
    assert len(files) == 2 * 9 + 3 + 2  # jpg+png, 3 lists, labels, meta
    assert files == tree_files(b)
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files],
                                           shallow=False)
    assert mismatch == [] and errors == []
    jpgs = [str(f) for f in files if str(f).endswith('.jpg')]
    _, mismatch, _ = filecmp.cmpfiles(a, c, jpgs, shallow=False)
    assert len(mismatch) == len(jpgs)


def test_masks_are_exactly_the_painted_pixels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        layout = sample_layout(rng)
        black = render_layout(layout, 64, background=(0, 0, 0))
        white = render_layout(layout, 64, background=(255, 255, 255))
        # a pixel shows the background iff it changes with the background
        changed = (black.image != white.image).any(-1)
        np.testing.assert_array_equal(changed, black.seg == 0)
        np.testing.assert_array_equal(black.seg, white.seg)
        # and the real render puts the same object pixels on the scene
        real = render_layout(layout, 64)
        fg = real.seg > 0
        np.testing.assert_array_equal(real.image[fg], black.image[fg])
        np.testing.assert_array_equal(real.image[~fg], real.scene[~fg])


def test_labels_are_the_classes_in_the_mask(tmp_path):
    info = write_world(str(tmp_path), seed=1, **SMALL)
    labels = np.load(tmp_path / 'cls_labels.npy', allow_pickle=True).item()
    assert set(labels) == set(info['ids']['train'] + info['ids']['val'])
    for img_id, label in labels.items():
        seg = cv2.imread(str(tmp_path / 'SegmentationClassAug' /
                             f'{img_id}.png'), cv2.IMREAD_UNCHANGED)
        assert seg.dtype == np.uint8 and seg.shape == (48, 48)
        present = sorted(set(np.unique(seg).tolist()) - {0})
        assert label.dtype == np.float32 and label.shape == (6, )
        assert (np.flatnonzero(label) + 1).tolist() == present


def test_cooccurrence_rate_matches_parameter():
    for p in (0.8, 0.3):
        layouts = sample_world_layouts(400, seed=0, cooccur_prob=p)
        flags = [lay.cooccurs(o) for lay in layouts for o in lay.objects]
        assert len(flags) > 500
        # binomial std <= 0.5 / sqrt(500) ~ 0.022
        assert abs(np.mean(flags) - p) < 0.07
    # every object class sits on its own home scene most of the time
    layouts = sample_world_layouts(600, seed=1, cooccur_prob=0.8)
    for k in range(len(OBJECT_NAMES)):
        scenes = [lay.object_scene(o) for lay in layouts for o in lay.objects
                  if o.class_index == k]
        counts = np.bincount(scenes, minlength=len(SCENE_NAMES))
        assert counts.argmax() == HOME_SCENE[k]
        assert counts[HOME_SCENE[k]] / counts.sum() > 0.65


def test_voc_layout_is_readable(tmp_path):
    info = write_world(str(tmp_path), seed=0, **SMALL)
    lists = tmp_path / 'ImageSets' / 'Segmentation'
    for name, split in (('train', 'train'), ('train_aug', 'train'),
                        ('val', 'val')):
        ids = (lists / f'{name}.txt').read_text().split()
        assert ids == info['ids'][split]
        for i in ids:
            assert (tmp_path / 'JPEGImages' / f'{i}.jpg').is_file()
            assert (tmp_path / 'SegmentationClassAug' / f'{i}.png').is_file()
    meta = json.loads(Path(info['meta_file']).read_text())
    assert meta['metainfo']['prompt_classes'] == list(OBJECT_NAMES)
    assert meta['params']['cooccur_prob'] == 0.8
    ds = CooccurWorldDataset(
        data_root=str(tmp_path),
        ann_file='ImageSets/Segmentation/val.txt',
        label_file='cls_labels.npy',
        pipeline=[],
        lazy_init=False)
    assert len(ds) == 3
    assert ds.metainfo['classes'][1:] == OBJECT_NAMES
    assert ds.metainfo['prompt_classes'] == world_metainfo()['prompt_classes']
    item = ds[0]
    np.testing.assert_array_equal(item['img_labels'],
                                  info['labels'][info['ids']['val'][0]])
    # the VOC dataset code reads it, given the world's metainfo; it is the
    # VOCWeakDataset subclass whose METAINFO holds the world's classes,
    # since mmseg only accepts metainfo classes that are a subset of the
    # class's METAINFO classes (VOC has no crab)
    assert issubclass(CooccurWorldDataset, VOCWeakDataset)
    voc = CooccurWorldDataset(
        data_root=str(tmp_path),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        label_file='cls_labels.npy',
        metainfo=world_metainfo(),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadWeakAnnotations')])
    assert len(voc) == 6
    assert voc.metainfo['classes'] == ('background', ) + OBJECT_NAMES
    assert len(voc.metainfo['palette']) == 7
    out = voc[2]
    img_id = info['ids']['train'][2]
    assert out['img'].shape == (48, 48, 3)
    np.testing.assert_array_equal(out['img_labels'], info['labels'][img_id])
    seg = cv2.imread(str(tmp_path / 'SegmentationClassAug' / f'{img_id}.png'),
                     cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(out['gt_seg_map'], seg)


def test_annotations_name_each_object_and_its_scene(tmp_path):
    write_world(str(tmp_path), seed=2, **SMALL)
    meta = read_world_meta(str(tmp_path))
    layouts = sample_world_layouts(6, seed=2, split='train')
    for i, layout in enumerate(layouts):
        objs = meta['annotations'][f'train_{i:05d}']
        assert [o['object'] for o in objs] == [
            OBJECT_NAMES[o.class_index] for o in layout.objects]
        assert [o['scene'] for o in objs] == [
            SCENE_NAMES[layout.object_scene(o)] for o in layout.objects]
    assert scene_objects_caption([(3, 3), (0, 0)]) == (
        'a photo of a boat on water and a crab on sand.')
    with pytest.raises(FileNotFoundError, match=r'nowhere.*world_meta\.json'):
        read_world_meta(str(tmp_path / 'nowhere'))


def test_bad_parameters_are_named():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='cooccur_prob'):
        sample_layout(rng, cooccur_prob=1.5)
    with pytest.raises(ValueError, match=r'classes must be distinct.*\[1, 1\]'):
        sample_layout(rng, classes=[1, 1])
    with pytest.raises(ValueError, match='num_train'):
        write_world('/nonexistent', num_train=0)


def test_clip_pairs_mask_out_to_the_imagenet_mean():
    from cooccur_demo.world.clip_pairs import make_clip_pairs
    pairs = make_clip_pairs(4, seed=0, image_size=32, clip_size=16,
                            num_world=2)
    kinds = pairs['kinds']
    assert kinds.count('in_context') == 4 and kinds.count('world') == 2
    assert pairs['images'].shape == (18, 3, 16, 16)
    near_zero = (pairs['images'].abs() < 1e-3).all(1).flatten(1).float()
    for i, kind in enumerate(kinds):
        caption = pairs['captions'][i]
        if kind == 'masked_object':
            # masked-out pixels are 0 = the ImageNet mean colour
            assert near_zero[i].mean() > 0.3
            assert OBJECT_NAMES[int(pairs['classes'][i])] in caption
        elif kind in ('scene', 'cutout'):
            # a cutout remembers the object it lost, a bare scene has none
            assert (int(pairs['classes'][i]) >= 0) == (kind == 'cutout')
            assert caption == 'a photo of {}.'.format(
                SCENE_NAMES[int(pairs['scenes'][i])])
        else:
            assert near_zero[i].mean() < 0.05


def test_world_pairs_name_objects_and_sometimes_scenes(tmp_path):
    from cooccur_demo.world.clip_pairs import (
        make_clip_pairs, world_pairs_from_folder)
    pairs = make_clip_pairs(0, seed=0, image_size=32, clip_size=16,
                            num_world=40, mixed_caption_prob=0.5)
    captions = pairs['captions']
    assert len(captions) == 40
    with_scene = [c for c in captions if ' on ' in c]
    assert 5 < len(with_scene) < 35
    for c, k, s in zip(captions, pairs['classes'], pairs['scenes']):
        assert OBJECT_NAMES[int(k)] in c
        if ' on ' in c:
            assert f'{OBJECT_NAMES[int(k)]} on {SCENE_NAMES[int(s)]}' in c
    # the images of a written world with captions from its annotations
    write_world(str(tmp_path), seed=0, **SMALL)
    meta = read_world_meta(str(tmp_path))
    folder = world_pairs_from_folder(str(tmp_path), meta['annotations'],
                                     seed=0, clip_size=16,
                                     mixed_caption_prob=1.0)
    assert folder['images'].shape == (6, 3, 16, 16)
    assert folder['kinds'] == ['world_file'] * 6
    for i, caption in enumerate(folder['captions']):
        objs = meta['annotations'][f'train_{i:05d}']
        assert caption == scene_objects_caption(
            [(OBJECT_NAMES.index(o['object']), SCENE_NAMES.index(o['scene']))
             for o in objs])
    del meta['annotations']['train_00003']
    with pytest.raises(KeyError, match='train_00003'):
        world_pairs_from_folder(str(tmp_path), meta['annotations'], seed=0,
                                clip_size=16)
