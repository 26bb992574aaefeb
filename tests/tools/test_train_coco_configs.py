"""The COCO comparison chain through the tools on a converted COCO fixture.

COCO download fixture (64 x 80 images) -> converter CLI -> CLIMS baseline and
SemPLeS-on-CLIMS COCO configs (tiny CLIP, 1 epoch per stage) -> compare.py
clims_coco -> make_pseudo_masks.py on train2014 -> the COCO
segmentation-stage configs.
"""
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fixtures import make_coco_fixture
from test_train_seg_stage import tiny_variant
from test_train_semples import run, state

pytestmark = pytest.mark.slow  # trains through the tools in subprocesses

REPO = Path(__file__).resolve().parents[2]
DEEPLAB_COCO = 'configs/seg/deeplabv3plus_r101-d8_4xb4-40k_coco-512_pseudo.py'
SEGMENTER_COCO = 'configs/seg/segmenter_vit-s_mask_8xb1-80k_coco-512_pseudo.py'
TRAIN_STEMS = [f'COCO_train2014_{i:012d}' for i in (9, 25, 81)]

# the tests' tiny CLIP, inherited from tests/fixtures/tiny_clip.py
FIXTURE = REPO / 'tests/fixtures/tiny_clip.py'
TINY_CLIP = 'tiny_clip = {{_base_.TINY_CLIP_CFG}}\n'
TINY_CLIMS = '''
_base_ = ['{config}', '{fixture}']
{tiny_clip}model = dict(
    data_preprocessor=dict(size=(64, 64)),
    cam_net=dict(pretrained=None),
    clip_guide=dict(pretrained=None, model_cfg=tiny_clip),
    test_cfg=dict(scales=(1.0, ), flip=True))
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomCrop', crop_size=(64, 64)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs', num_classes=80),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data}', pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{data}'))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1))
'''
ONE_EPOCH_PER_STAGE = '''
model['prompt_learner'] = dict(prompt_length=4, embed_dims=16)
cam_lr = {{_base_.cam_lr}}
train_cfg = dict(val_interval=1, stages=[
    dict(stage=1, max_epochs=1, losses=['match', 'cam'], lr=cam_lr,
         schedule='poly'),
    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=2.5e-2)),
    dict(stage=3, max_epochs=1, losses=['match', 'cam', 'refine'], lr=cam_lr,
         schedule='poly'),
])
'''


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    """root/coco: the download; root/coco/semples: the converter's output."""
    root = tmp_path_factory.mktemp('coco_chain')
    make_coco_fixture(str(root / 'coco'), num_images=6, scale=8)
    run([sys.executable, 'tools/dataset_converters/coco2014_weak.py',
         str(root / 'coco'), str(root / 'coco/semples')])
    return root


def tiny(tmp_path, config, data, extra=''):
    path = tmp_path / f'tiny_{Path(config).stem}.py'
    path.write_text(
        TINY_CLIMS.format(config=REPO / config, data=data, fixture=FIXTURE,
                          tiny_clip=TINY_CLIP) + extra)
    return str(path)


TINY_WEAKTR = '''
_base_ = ['{config}', '{fixture}']
{tiny_clip}model = dict(
    data_preprocessor=dict(size=(32, 32)),
    cam_net=dict(img_size=32, embed_dims=48, depth=2, num_heads=6,
                 pretrained=None),
    test_cfg=dict(scales=(1.0, 0.8), flip=True))
{extra_model}
pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=32, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWeakSegInputs', num_classes=80),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data}', pipeline=pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{data}'))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1))
{extra}
'''
SEMPLES_WEAKTR_EXTRA = '''
model.update(clip_guide=dict(pretrained=None, model_cfg=tiny_clip),
             prompt_learner=dict(prompt_length=4, embed_dims=16))
'''
SEMPLES_WEAKTR_STAGES = '''
custom_hooks = []
train_cfg = dict(stages=[
    dict(stage=1, max_epochs=1, lr=dict(cam_net=5.12e-6)),
    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=0.01),
         dataloader=dict(batch_size=3)),
    dict(stage=3, max_epochs=1, lr=dict(cam_net=5.12e-6),
         dataloader=dict(batch_size=3)),
])
'''


def test_weaktr_coco_pair_trains_and_compares(coco, tmp_path):
    """WeakTr baseline and SemPLeS on WeakTr, COCO configs, then compare."""
    data = coco / 'coco/semples'
    configs = {}
    for name, config, extra_model, extra in (
            ('base', 'configs/weaktr/weaktr_coco.py', '',
             'train_cfg = dict(max_epochs=1, val_interval=1)\nparam_'
             'scheduler = []'),
            ('ours', 'configs/semples/weaktr_coco.py', SEMPLES_WEAKTR_EXTRA,
             SEMPLES_WEAKTR_STAGES)):
        path = tmp_path / f'tiny_{name}.py'
        path.write_text(TINY_WEAKTR.format(
            config=REPO / config, data=data, extra_model=extra_model,
            extra=extra, fixture=FIXTURE, tiny_clip=TINY_CLIP))
        configs[name] = str(path)
        run([sys.executable, 'tools/train.py', str(path), '--work-dir',
             str(tmp_path / name)])
    assert state(tmp_path / 'ours/epoch_3.pth', 'cam_net.head')[
        'cam_net.head.weight'].shape[0] == 80
    log = run([sys.executable, 'tools/compare.py', 'weaktr_coco',
               '--baseline-ckpt', str(tmp_path / 'base/epoch_1.pth'),
               '--semples-ckpt', str(tmp_path / 'ours/best_stage3.pth'),
               '--baseline-config', configs['base'],
               '--semples-config', configs['ours'],
               '--out-dir', str(tmp_path / 'cmp')])
    assert '| seed IoU stop sign |' in log and '| mask mIoU |' in log


@pytest.fixture(scope='module')
def baseline(coco, tmp_path_factory):
    """The CLIMS COCO baseline, one epoch: (work dir, log)."""
    tmp = tmp_path_factory.mktemp('clims_coco')
    config = tiny(tmp, 'configs/clims/clims_coco.py', coco / 'coco/semples',
                  'train_cfg = dict(max_epochs=1, val_interval=1)\n')
    log = run([sys.executable, 'tools/train.py', config,
               '--work-dir', str(tmp / 'work')])
    return tmp / 'work', log


def test_clims_coco_baseline_uses_the_coco_objective(baseline):
    work, log = baseline
    for term in ('loss_match', 'loss_cbs', 'loss_area', 'mIoU'):
        assert term in log, term
    classifier = state(work / 'epoch_1.pth', 'cam_net.classifier')
    assert [tuple(v.shape) for v in classifier.values()] == [(80, 2048, 1, 1)]


def test_semples_clims_coco_stages_then_compare_masks_and_segmenter(
        coco, baseline, tmp_path):
    data = coco / 'coco/semples'
    work = tmp_path / 'work'
    config = tiny(tmp_path, 'configs/semples/clims_coco.py', data,
                  ONE_EPOCH_PER_STAGE)
    log = run([sys.executable, 'tools/train.py', config,
               '--work-dir', str(work)])
    assert 'loss_cbs' not in log  # replaced by L_refine in stage 3
    stage3 = log[log.index('SemPLeS stage 3'):]
    assert 'loss_refine' in stage3 and 'loss_area' in stage3
    prompts = state(work / 'epoch_3.pth', 'prompt_learner.')
    assert prompts['prompt_learner.prompts'].shape[0] == 80
    # the side-by-side table against the baseline, on val_seed_1250, each
    # side with the config it was trained with: checkpoints load strictly,
    # and the tiny prompts do not fit the real config's
    (tmp_path / 'base').mkdir()
    base_config = tiny(tmp_path / 'base', 'configs/clims/clims_coco.py', data)
    log = run([sys.executable, 'tools/compare.py', 'clims_coco',
               '--baseline-ckpt', str(baseline[0] / 'epoch_1.pth'),
               '--semples-ckpt', str(work / 'best_stage3.pth'),
               '--baseline-config', base_config, '--semples-config', config,
               '--data-root', str(data), '--out-dir', str(tmp_path / 'cmp')])
    table = (tmp_path / 'cmp/comparison.md').read_text()
    assert table.startswith('| clims_coco | baseline | +SemPLeS | delta |')
    assert '| seed IoU stop sign |' in table  # the one val image's class
    assert len(list((tmp_path / 'cmp/semples_masks').glob('*.png'))) == 1
    # pseudo masks of the train split: the documented COCO command
    out = tmp_path / 'pseudo_masks'
    log = run([sys.executable, 'tools/make_pseudo_masks.py', config,
               str(work / 'best_stage3.pth'), '--out-dir', str(out),
               '--ann-file', 'train_ids.txt', '--cfg-options',
               'test_dataloader.dataset.img_dir=../train2014',
               'test_dataloader.dataset.seg_dir=masks/train2014'])
    assert sorted(p.stem for p in out.glob('*.png')) == TRAIN_STEMS
    labels = np.load(data / 'cls_labels_coco80.npy', allow_pickle=True).item()
    for stem in TRAIN_STEMS:
        mask = cv2.imread(str(out / f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (64, 80)
        present = set(np.flatnonzero(labels[stem]) + 1)
        assert set(np.unique(mask)) <= present | {0}, stem
    assert 'mIoU' in log  # scored against the converter's train masks
    seg_work = tmp_path / 'seg'
    log = run([sys.executable, 'tools/train.py',
               tiny_variant(tmp_path, SEGMENTER_COCO, data),
               '--work-dir', str(seg_work),
               '--cfg-options', f'train_dataloader.dataset.seg_dir={out}'])
    assert 'Iter(train) [2/2]' in log
    head = state(seg_work / 'iter_2.pth', 'decode_head.')
    assert head['decode_head.cls_emb'].shape[1] == 81


def train_seg(tmp_path, config, data, pseudo_dir):
    return run([sys.executable, 'tools/train.py',
                tiny_variant(tmp_path, config, data),
                '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                f'train_dataloader.dataset.seg_dir={pseudo_dir}'])


def test_deeplab_coco_config_trains_on_pseudo_masks(coco, tmp_path):
    data = coco / 'coco/semples'
    log = train_seg(tmp_path, DEEPLAB_COCO, data, data / 'masks/train2014')
    assert 'Iter(train) [2/2]' in log
    sd = state(tmp_path / 'work/iter_2.pth', '')
    assert sd['decode_head.conv_seg.weight'].shape[0] == 81
    assert sd['auxiliary_head.conv_seg.weight'].shape[0] == 81


def test_a_missing_pseudo_mask_stops_the_seg_stage_naming_it(coco, tmp_path):
    data = coco / 'coco/semples'
    pseudo = tmp_path / 'pseudo_masks'
    shutil.copytree(data / 'masks/train2014', pseudo)
    (pseudo / f'{TRAIN_STEMS[1]}.png').unlink()
    with pytest.raises(AssertionError,
                       match=f'no mask .*{TRAIN_STEMS[1]}.png .*train_ids'):
        train_seg(tmp_path, DEEPLAB_COCO, data, pseudo)
