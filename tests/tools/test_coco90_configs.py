"""The reference's COCO setup: 90 class tokens, 90 prompt names, 91-class
seeds with the unused ids NaN, the official checkpoint's key names."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmseg.registry import DATASETS, MODELS
from semples_mmseg.datasets.class_names import (COCO90_PROMPT_NAMES,
                                                COCO_UNUSED_IDS)
from semples_mmseg.evaluation import CAMSeedMetric
from fixtures import make_coco_fixture
from test_weaktr2semples import reference_weaktr_state

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'coco2014_weak', REPO / 'tools/dataset_converters/coco2014_weak.py')
coco2014_weak = importlib.util.module_from_spec(spec)
spec.loader.exec_module(coco2014_weak)
TINY_CAM = dict(img_size=32, embed_dims=48, depth=2, num_heads=6)
# the reference's list (SemPLeS clip_utils.py 'coco', WeakTr evaluation.py
# categories_coco without 'background'): index = id - 1; the unused ids
# among their neighbours
REFERENCE_SLICES = {
    (10, 13): ('fire hydrant', 'street sign', 'stop sign'),
    (25, 31): ('hat', 'backpack', 'umbrella', 'shoe', 'eye glasses',
               'handbag'),
    (44, 46): ('plate', 'wine glass'),
    (65, 71): ('mirror', 'dining table', 'window', 'desk', 'toilet', 'door'),
    (82, 84): ('blender', 'book'),
}


@pytest.fixture(scope='module')
def coco90(tmp_path_factory):
    """Converted (--id-space 90) COCO fixture with the checkpoint-choice list
    and a converted synthetic WeakTr checkpoint with 90 class tokens."""
    root = tmp_path_factory.mktemp('coco90')
    make_coco_fixture(str(root / 'coco'), num_images=6, scale=4)
    out = root / 'coco/semples90'
    coco2014_weak.convert_coco2014(str(root / 'coco'), str(out), id_space=90,
                                   progress=False)
    shutil.copy(out / 'train_ids.txt', out / 'train_1250_ids.txt')
    state = reference_weaktr_state(k=90)  # reference key names, 90 tokens
    torch.save({'model': state, 'epoch': 59}, root / 'WeakTr_coco.pth')
    proc = subprocess.run([
        sys.executable, 'tools/model_converters/weaktr2semples.py',
        str(root / 'WeakTr_coco.pth'), str(root / 'weaktr_coco90_cam.pth'),
        '--as-segmentor'], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root, state


def tiny_cfg(config, root, pretrained):
    cfg = Config.fromfile(str(REPO / config))
    cfg.model.cam_net.update(TINY_CAM, pretrained=pretrained)
    cfg.model.test_cfg.scales = (1.0, 1.2)
    for key in ('clip_guide', 'prompt_learner'):
        cfg.model.pop(key, None)
    cfg.test_dataloader.dataset.data_root = str(root / 'coco/semples90')
    return cfg


def test_coco90_configs_are_their_coco_configs_in_the_90_id_space():
    """Inherited from the COCO configs, only the id space differs: 90 class
    tokens and prompts, the 90-id files and the 1250-image train subset."""
    for name in ('weaktr', 'semples'):
        cfg = Config.fromfile(str(REPO / f'configs/{name}/weaktr_coco90.py'))
        coco = Config.fromfile(str(REPO / f'configs/{name}/weaktr_coco.py'))
        assert cfg.model.cam_net.num_classes == 90
        assert cfg.model.test_cfg == coco.model.test_cfg
        assert cfg.train_cfg == coco.train_cfg
        for split in ('train', 'val', 'test'):
            ds = cfg[f'{split}_dataloader'].dataset
            assert ds.type == 'COCO90WeakDataset' and ds.id_space == 90
            assert ds.label_file == 'cls_labels_coco90.npy'
            assert ds.pipeline == coco[f'{split}_dataloader'].dataset.pipeline
        assert cfg.val_dataloader.dataset.ann_file == 'train_1250_ids.txt'
    names = tuple(cfg.model.clip_guide.class_names)
    assert names == COCO90_PROMPT_NAMES and len(names) == 90
    for (start, stop), expected in REFERENCE_SLICES.items():
        assert names[start:stop] == expected
    assert cfg.model.prompt_learner.num_classes == 90


@pytest.mark.slow
def test_reference_checkpoint_evaluates_with_unused_ids_nan(coco90):
    root, state = coco90
    cfg = tiny_cfg('configs/weaktr/weaktr_coco90.py', root,
                   str(root / 'weaktr_coco90_cam.pth'))
    model = MODELS.build(cfg.model)
    model.init_weights()  # cam_net.pretrained: the converted checkpoint
    tokens = model.cam_net.backbone.cls_token
    assert tokens.shape == (1, 90, 48)
    assert torch.equal(tokens, state['cls_token'])
    assert torch.equal(model.cam_net.head.weight, state['head.weight'])
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(dataset.metainfo['classes']) == 91
    metric = CAMSeedMetric(**{k: v for k, v in cfg.test_evaluator.items()
                              if k != 'type'})
    metric.dataset_meta = dataset.metainfo
    model.eval()
    with torch.no_grad():
        for i in range(len(dataset)):
            sample = model.test_step(pseudo_collate([dataset[i]]))[0]
            assert sample.pred_cams.data.shape[0] == 90
            metric.process({}, [sample.to_dict()])
    result = metric.compute_metrics(metric.results)
    iou, miou = metric.seed_curve(metric.results, 90)
    assert iou.shape == (20, 91)
    assert np.isnan(iou[:, list(COCO_UNUSED_IDS)]).all()
    present = [0, 1, 18, 89, 90]  # background, person, dog, hair drier, ...
    assert not np.isnan(iou[:, present]).any()
    assert np.isfinite(miou).all()
    assert result['mIoU'] == round(float(miou[metric.thresholds.tolist(
    ).index(result['threshold'])]), 2)


@pytest.mark.slow
def test_test_tool_scores_the_converted_checkpoint(coco90, tmp_path):
    root, _ = coco90
    config = tmp_path / 'tiny_coco90.py'
    config.write_text(
        f"_base_ = ['{REPO / 'configs/weaktr/weaktr_coco90.py'}']\n"
        f'model = dict(cam_net=dict(pretrained=None, **{TINY_CAM!r}),\n'
        "             test_cfg=dict(scales=(1.0, 1.2)))\n"
        f"test_dataloader = dict(num_workers=0, persistent_workers=False,\n"
        f"    dataset=dict(data_root='{root / 'coco/semples90'}'))\n")
    proc = subprocess.run([
        sys.executable, 'tools/test.py', str(config),
        str(root / 'weaktr_coco90_cam.pth'), '--work-dir',
        str(tmp_path / 'work')], cwd=REPO, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    rows = {r.split('|')[1].strip(): r.split('|')[2].strip()
            for r in log.splitlines() if r.startswith('| ')}
    assert rows['street sign'] == 'nan' and rows['blender'] == 'nan'
    assert rows['toothbrush'] != 'nan' and 'mIoU' in log
    assert 'size mismatch' not in log and 'missing keys' not in log
