"""configs/mask2former_fma: FMA-WSSS's Mask2Former recipe, read and trained.

The recipe's numbers are checked from the configs alone (no mmdet needed).
Where mmdet and mmcv's compiled ops are installed, the VOC config's own
modules (backbone, pixel decoder, decoder, losses, assigner, optimiser,
scheduler, pipeline, 512 preprocessor) are built at a tiny width and train
one iteration on CPU; elsewhere that test skips, saying what is missing.
"""
import importlib.util
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / 'configs/mask2former_fma'
VOC = FOLDER / 'mask2former_swin-l_2xb4-80k_voc-512_sam-seeds.py'
COCO = FOLDER / 'mask2former_swin-l_2xb4-100k_coco-512_sam-seeds.py'


@pytest.mark.parametrize('path,iters,classes', [(VOC, 80000, 21),
                                                (COCO, 100000, 81)])
def test_the_recipe_is_fma_s(path, iters, classes):
    cfg = Config.fromfile(str(path))
    crop = next(t['crop_size'] for t in cfg.train_dataloader.dataset.pipeline
                if t['type'] == 'RandomCrop')
    # crops are padded to their own size, 512, not to the ADE20K base's 640
    assert tuple(cfg.model.data_preprocessor.size) == tuple(crop) == (512,
                                                                      512)
    head = cfg.model.decode_head
    assert head.num_queries == 50 and head.num_classes == classes
    assert cfg.train_dataloader.batch_size * 2 == 8  # 2 GPUs x 4
    assert cfg.auto_scale_lr.base_batch_size == 8
    assert cfg.train_cfg.max_iters == iters
    assert cfg.param_scheduler[0].end == iters
    assert cfg.param_scheduler[0].type == 'PolyLR'
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == (
        'AdamW', 1e-4, 0.05)
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys['backbone'].lr_mult == 0.1
    assert keys['query_embed'].decay_mult == 0.0
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    test_resize = [t for t in cfg.test_dataloader.dataset.pipeline
                   if t['type'] == 'Resize']
    assert [t['scale'] for t in test_resize] == [(2048, 512)]
    assert cfg.model.test_cfg.mode == 'whole'


def missing_stack():
    if importlib.util.find_spec('mmdet') is None:
        return 'mmdet is not installed (onedl-mmdetection 3.5.1)'
    if importlib.util.find_spec('mmcv._ext') is None:
        return ("mmcv's compiled ops (mmcv._ext) are not installed: "
                'scripts/build_mmcv_ops.sh')
    return None


def tiny(cfg, data_root, work_dir):
    """The VOC config at a tiny width: Swin of 1 block per stage and width
    24, an 8-channel pixel decoder and a 3-layer decoder; everything else
    (queries, losses, preprocessor, pipeline, optimiser) as configured."""
    feat = 32
    cfg.model.backbone.update(embed_dims=24, depths=[1, 1, 1, 1],
                              num_heads=[1, 2, 4, 8], init_cfg=None)
    head = cfg.model.decode_head
    head.update(in_channels=[24, 48, 96, 192], feat_channels=feat,
                out_channels=feat)
    decoder = head.pixel_decoder
    decoder.norm_cfg.num_groups = 8
    decoder.encoder.num_layers = 1
    attn = decoder.encoder.layer_cfg.self_attn_cfg
    attn.update(embed_dims=feat, num_heads=4)
    decoder.encoder.layer_cfg.ffn_cfg.update(embed_dims=feat,
                                             feedforward_channels=64)
    decoder.positional_encoding.num_feats = feat // 2
    head.positional_encoding.num_feats = feat // 2
    head.transformer_decoder.num_layers = 3
    layer = head.transformer_decoder.layer_cfg
    for key in ('self_attn_cfg', 'cross_attn_cfg'):
        layer[key].update(embed_dims=feat, num_heads=4)
    layer.ffn_cfg.update(embed_dims=feat, feedforward_channels=64)
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClassAug'))
    cfg.train_cfg.update(max_iters=1)
    cfg.param_scheduler[0].end = 1
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    return cfg


@pytest.mark.slow
def test_one_cpu_iteration_of_the_real_config(tmp_path):
    reason = missing_stack()
    if reason:
        pytest.skip(reason)
    from mmengine.runner import Runner
    make_voc_fixture(str(tmp_path / 'voc'), num_images=4, height=64,
                     width=80)
    cfg = tiny(Config.fromfile(str(VOC)), str(tmp_path / 'voc'),
               str(tmp_path / 'work'))
    torch.manual_seed(0)
    runner = Runner.from_cfg(cfg)
    before = {k: v.clone() for k, v in runner.model.state_dict().items()}
    assert runner.model.decode_head.num_queries == 50
    assert tuple(runner.model.data_preprocessor.size) == (512, 512)
    runner.train()
    after = runner.model.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert any(k.startswith('backbone.') for k in changed)
    assert any(k.startswith('decode_head.pixel_decoder.') for k in changed)
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss))
