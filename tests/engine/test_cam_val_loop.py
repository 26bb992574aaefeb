"""Validation at its own CAM settings, the model's restored after it."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from torch import nn
from torch.utils.data import DataLoader

from mmseg.registry import MODELS
from semples_mmseg.datasets import VOCWeakDataset
from semples_mmseg.engine.loops import CAMValLoop
from semples_mmseg.evaluation import CAMSeedMetric
from fixtures import make_voc_fixture


class Recorder(nn.Module):
    """A CAM network stand-in that keeps the size of every input."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k
        self.sizes = []

    def forward(self, x):
        self.sizes.append(tuple(x.shape[-2:]))
        maps = F.avg_pool2d(x[:, :1], 16, ceil_mode=True).clamp_min(0)
        return dict(cams=maps.repeat(1, self.k, 1, 1))


def fake_runner(model):
    return SimpleNamespace(model=model, visualizer=SimpleNamespace(),
                           call_hook=lambda *args, **kwargs: None)


@pytest.fixture()
def parts(tmp_path):
    make_voc_fixture(str(tmp_path), num_images=4, height=64, width=80)
    dataset = VOCWeakDataset(
        data_root=str(tmp_path), ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[dict(type='LoadCheckedImageFromFile'),
                  dict(type='LoadWeakAnnotations'),
                  dict(type='PackWeakSegInputs')])
    model = MODELS.build(dict(
        type='SemPLeSSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        cam_net=dict(type='WeakTrCAMNet', num_classes=20, img_size=32,
                     embed_dims=48, depth=1, num_heads=6, aaf_reduction=1),
        test_cfg=dict(scales=(1.0, 1.2), flip=True, bg_threshold=0.43)))
    model.cam_net = Recorder(20)
    loader = DataLoader(dataset, batch_size=1, collate_fn=pseudo_collate)
    return model.eval(), dataset, loader


def test_validation_runs_at_its_own_scales_and_restores_test_cfg(parts):
    model, dataset, loader = parts
    loop = CAMValLoop(
        fake_runner(model), loader, Evaluator(CAMSeedMetric()),
        model_test_cfg=dict(scales=(1.0, ), flip=True))
    metrics = loop.run()
    assert {'mIoU', 'threshold', 'mIoU_greedy', 'mIoU_max'} <= set(metrics)
    # 2 images, scale 1.0 + its mirror each: the image size only
    assert model.cam_net.sizes == [(64, 80)] * 4
    assert model.test_cfg == dict(scales=(1.0, 1.2), flip=True,
                                  bg_threshold=0.43, labels='gt',
                                  label_threshold=0.5)
    model.cam_net.sizes.clear()
    with torch.no_grad():
        model.test_step(pseudo_collate([dataset[0]]))
    assert model.cam_net.sizes == [(64, 80)] * 2 + [(77, 96)] * 2


def test_test_cfg_is_restored_when_validation_fails(parts):
    model, _, loader = parts
    loop = CAMValLoop(fake_runner(model), loader, Evaluator(CAMSeedMetric()),
                      model_test_cfg=dict(scales=(1.0, )))

    def broken(x):
        raise RuntimeError('boom')

    model.cam_net.forward = broken
    with pytest.raises(RuntimeError, match='boom'):
        loop.run()
    assert model.test_cfg['scales'] == (1.0, 1.2)


def test_bad_override_is_named_when_the_loop_is_built(parts):
    model, _, loader = parts
    with pytest.raises(ValueError, match=r"val_cfg.model_test_cfg: .*"
                       r"'scale'"):
        CAMValLoop(fake_runner(model), loader, Evaluator(CAMSeedMetric()),
                   model_test_cfg=dict(scale=(1.0, )))
