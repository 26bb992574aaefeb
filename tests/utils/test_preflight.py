"""The pre-flight asks each dataset class what it reads, and checks what
the stages of a built run read."""
from types import SimpleNamespace

import pytest
import torch

from semples_mmseg.utils.preflight import (check_param_groups,
                                           check_prompt_source,
                                           check_stage_datasets,
                                           check_validation_split,
                                           dataset_inputs)

ROOT = '/data/voc'


def declared(cfg, evaluated=False):
    return {p.key: (p.path, p.kind)
            for p in dataset_inputs(cfg, evaluated=evaluated)}


def test_voc_declares_its_layout_and_the_xml_labels():
    cfg = dict(type='VOCWeakDataset', data_root=ROOT, ann_file='ids.txt',
               label_source='xml')
    assert declared(cfg) == {
        'data_root': (ROOT, 'dir'),
        'ann_file': (f'{ROOT}/ids.txt', 'file'),
        'data_prefix.img_path': (f'{ROOT}/JPEGImages', 'dir'),
        'xml_dir': (f'{ROOT}/Annotations', 'dir')}
    # an evaluated split, or labels from masks, reads the mask folder
    mask = (f'{ROOT}/SegmentationClassAug', 'dir')
    assert declared(cfg, evaluated=True)['data_prefix.seg_map_path'] == mask
    del cfg['label_source']
    assert declared(cfg)['data_prefix.seg_map_path'] == mask
    cfg = dict(cfg, label_file='/labels.npy', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadWeakAnnotations')])
    assert declared(cfg)['label_file'] == ('/labels.npy', 'file')
    assert 'data_prefix.seg_map_path' in declared(cfg)  # the pipeline


def test_coco_names_its_own_keys():
    cfg = dict(type='COCOWeakDataset', data_root=ROOT, ann_file='ids.txt',
               img_dir='/coco/train2014', label_file='l.npy')
    assert declared(cfg, evaluated=True) == {
        'data_root': (ROOT, 'dir'),
        'ann_file': (f'{ROOT}/ids.txt', 'file'),
        'img_dir': ('/coco/train2014', 'dir'),
        'seg_dir': (f'{ROOT}/masks/train2014', 'dir'),
        'label_file': (f'{ROOT}/l.npy', 'file')}


def test_stock_datasets_get_mmsegs_layout():
    cfg = dict(type='PascalVOCDataset', data_root=ROOT, ann_file='a.txt',
               data_prefix=dict(img_path='img', seg_map_path='seg'))
    assert set(declared(cfg)) == {'data_root', 'ann_file',
                                  'data_prefix.img_path'}
    assert declared(cfg, evaluated=True)['data_prefix.seg_map_path'] == (
        f'{ROOT}/seg', 'dir')


def test_built_run_checks_name_the_stage():
    voc = SimpleNamespace(metainfo=dict(classes=['bg'] + ['c'] * 20))
    coco = SimpleNamespace(metainfo=dict(classes=['bg'] + ['c'] * 80))
    check_stage_datasets([(1, voc)], 20)
    with pytest.raises(ValueError, match='stage 3: the dataset has 20'):
        check_stage_datasets([(1, coco), (3, voc)], 80)
    check_param_groups(1, dict(cam_net=1.0), [dict(name='cam_net')])
    with pytest.raises(ValueError, match="stage 2 .*'prompt_learner'"):
        check_param_groups(2, dict(prompt_learner=1.0), [dict(name='a')])


def test_a_refinement_stage_needs_learned_prompts(tmp_path):
    refine_only = [(1, ('match', )), (3, ('match', 'refine'))]
    with pytest.raises(ValueError, match=r'stage 3 .*load_from \(not set\)'):
        check_prompt_source(refine_only, load_from=None, resume=False)
    check_prompt_source(refine_only, load_from=None, resume=True)
    check_prompt_source([(1, ('match', )), (2, ('prompt', ))] + refine_only,
                        load_from=None, resume=False)
    ckpt = tmp_path / 'stage2.pth'
    torch.save(dict(state_dict={'prompt_learner.prompts': torch.zeros(1)}),
               ckpt)
    check_prompt_source(refine_only, load_from=str(ckpt), resume=False)


def test_the_seed_split_needs_masks_and_patch_sized_images():
    class Split:
        def __init__(self, *infos):
            self.infos = infos

        def __len__(self):
            return len(self.infos)

        def get_data_info(self, i):
            return self.infos[i]

    ok = dict(img_path='a.jpg', seg_map_path='a.png', scan_shape=(20, 30))
    check_validation_split(Split(ok), patch_size=16, min_scale=1.0)
    with pytest.raises(FileNotFoundError, match=r"\['b.jpg'\]"):
        check_validation_split(Split(ok, dict(img_path='b.jpg',
                                              seg_map_path=None)),
                               patch_size=16, min_scale=1.0)
    with pytest.raises(ValueError, match=r'16 x 16 patch .*a.jpg \(20 x 30\)'):
        check_validation_split(Split(ok), patch_size=16, min_scale=0.5)
