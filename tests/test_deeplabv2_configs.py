"""The DeepLab-V2 configs hold CLIMS's two recipes and train on CPU."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmseg.registry import MODELS
from semples_mmseg.pseudo_masks import dense_crf
from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[1]
COCO_INIT = ('configs/deeplabv2/'
             'deeplabv2_r101-d8-coco-init_1xb5-accum2-20k_voc-321_pseudo.py')
IMAGENET_INIT = (
    'configs/deeplabv2/'
    'deeplabv2_r101-d8-in1k-init_1xb10-accum2-30k_voc-321_pseudo.py')
# the same architecture at toy width (ResNet-50 layout, 8 base channels)
TINY_MODEL = {
    'model.pretrained': None,
    'model.backbone.depth': 50,
    'model.backbone.stem_channels': 8,
    'model.backbone.base_channels': 8,
    'model.decode_head.in_channels': 256,
}


def load(path: str) -> Config:
    return Config.fromfile(str(REPO / path))


@pytest.mark.parametrize('path, batch, updates, scales, loss', [
    (COCO_INIT, 5, 20000, (0.5, 0.75, 1.0, 1.25, 1.5), 'CrossEntropyLoss'),
    (IMAGENET_INIT, 10, 30000, (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0),
     'BalancedCrossEntropyLoss'),
])
def test_recipe(path, batch, updates, scales, loss):
    cfg = load(path)
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.optim_wrapper.accumulative_counts == 2
    # mmengine counts batches: two per update
    assert cfg.train_cfg.max_iters == 2 * updates
    poly, = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min, poly.end) == (
        'PolyLR', 0.9, 0.0, 2 * updates)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum,
            optimizer.weight_decay) == ('SGD', 2.5e-4, 0.9, 5e-4)
    pre = cfg.model.data_preprocessor
    assert pre.mean == [104.008, 116.669, 122.675] and pre.std == [1, 1, 1]
    assert not pre.bgr_to_rgb and pre.size == (321, 321)
    assert (pre.pad_val, pre.seg_pad_val) == (0, 255)
    assert cfg.model.scales == (0.5, 0.75)
    assert cfg.model.decode_head.dilations == (6, 12, 18, 24)
    assert cfg.model.decode_head.loss_decode.type == loss
    backbone = cfg.model.backbone
    assert (backbone.depth, backbone.style, backbone.strides,
            backbone.dilations) == (101, 'caffe', (1, 2, 1, 1), (1, 1, 2, 4))
    assert backbone.norm_eval and not backbone.norm_cfg.requires_grad
    choice = cfg.train_dataloader.dataset.pipeline[2]
    assert tuple(t[0].scale_factor for t in choice.transforms) == scales
    assert cfg.train_dataloader.dataset.pipeline[3].crop_size == (321, 321)
    assert [t.type for t in cfg.test_dataloader.dataset.pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'PackSegInputs']
    assert cfg.tta_model == dict(type='DenseCRFTTAModel',
                                 crf_preset='deeplabv2',
                                 crf_image='mean_subtracted_bgr')


def test_parameter_groups_lr_and_decay_multipliers():
    cfg = load(COCO_INIT)
    cfg.merge_from_dict(TINY_MODEL)
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    group_of = {id(p): g for g in wrapper.optimizer.param_groups
                for p in g['params']}
    named = dict(model.named_parameters())
    for name, param in named.items():
        if not param.requires_grad:  # frozen BN: never updated
            assert '.bn' in name or 'downsample.1' in name, name
            continue
        group = group_of[id(param)]
        if name.startswith('decode_head') and name.endswith('bias'):
            expected = (20 * 2.5e-4, 0.0)
        elif name.startswith('decode_head'):
            expected = (10 * 2.5e-4, 5e-4)
        else:
            assert name.startswith('backbone') and name.endswith('weight')
            assert 'conv' in name or 'downsample.0' in name, name
            expected = (2.5e-4, 5e-4)
        assert (group['lr'], group['weight_decay']) == pytest.approx(
            expected), name
    trained = [n for n, p in named.items() if p.requires_grad]
    assert sum(n.startswith('decode_head') for n in trained) == 8
    assert all(g['momentum'] == 0.9 for g in wrapper.optimizer.param_groups)


def test_unconverted_init_file_is_refused_before_training(tmp_path):
    # deeplab-pytorch's names (deeplabv1_resnet101-coco.pth unconverted)
    raw = tmp_path / 'deeplabv1_resnet101-coco.pth'
    torch.save({'layer1.conv1.conv.weight': torch.zeros(8, 3, 7, 7),
                'layer2.block1.reduce.conv.weight': torch.zeros(8, 8, 1, 1),
                'aspp.c0.weight': torch.zeros(21, 2048, 3, 3)}, raw)
    cfg = load(COCO_INIT)
    cfg.merge_from_dict(dict(TINY_MODEL, **{'model.pretrained': str(raw)}))
    model = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match=r'deeplabv1_resnet101-coco\.pth.*'
                       r'missing.*unexpected.*layer1\.conv1\.conv\.weight'):
        model.init_weights()  # the Runner's step before the first iteration


def tiny_run(config: str, data_root: Path, work_dir: Path) -> Config:
    """The config at toy width, batch 2, 2 iterations (one update)."""
    cfg = load(config)
    cfg.merge_from_dict(TINY_MODEL)
    options = {'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
               'train_dataloader.batch_size': 2,
               'default_hooks.logger.interval': 1,
               'default_hooks.checkpoint.interval': 2}
    for loader in ('train', 'val', 'test'):
        options.update({f'{loader}_dataloader.num_workers': 0,
                        f'{loader}_dataloader.persistent_workers': False,
                        f'{loader}_dataloader.dataset.data_root':
                        str(data_root)})
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('config', [COCO_INIT, IMAGENET_INIT])
def test_trains_an_update_on_pseudo_masks_and_tests_with_the_crf(
        tmp_path, config, monkeypatch):
    data = tmp_path / 'data'
    make_voc_fixture(str(data), num_images=4, height=64, width=80,
                     seg_dir='pseudo_masks')
    cfg = tiny_run(config, data, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    head = runner.model.decode_head.convs[0].weight.detach().clone()
    runner.train()
    assert not torch.equal(runner.model.decode_head.convs[0].weight, head)
    checkpoint = tmp_path / 'work' / 'iter_2.pth'
    assert checkpoint.is_file()

    # tools/test.py --tta: the CRF (a recording stand-in) on each val image
    seen = []

    def crf(image, probs, *, preset):
        seen.append((image.shape, probs.shape, preset))
        return probs.argmax(0)

    monkeypatch.setattr(dense_crf, 'crf_refine_probs', crf, raising=False)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    cfg.load_from = str(checkpoint)
    cfg.work_dir = str(tmp_path / 'test')
    metrics = Runner.from_cfg(cfg).test()
    assert seen == [((64, 80, 3), (21, 64, 80), 'deeplabv2')] * 2
    assert 0 <= metrics['mIoU'] <= 100 and np.isfinite(metrics['mIoU'])
