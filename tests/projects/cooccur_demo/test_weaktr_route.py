"""tools/weaktr_route.py on a tiny world with random CAM networks: pseudo
masks, four Segmenter runs, the table; a rerun reuses every phase; an
unfinished demo folder is named."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from cooccur_demo.weaktr_route import (encoder_from_cam_network,
                                       mean_and_interval, route_table,
                                       world_seg_config)
from cooccur_demo.world import write_world
from mmseg.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / 'projects' / 'cooccur_demo'
TOOL = PROJECT / 'tools' / 'weaktr_route.py'


def run_tool(cwd, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), str(PROJECT)] +
        os.environ.get('PYTHONPATH', '').split(os.pathsep)))
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env=env)


def random_checkpoint(config: str, path: Path) -> None:
    """The config's model with random weights, saved as a checkpoint."""
    cfg = Config.fromfile(str(PROJECT / 'configs' / config))
    cfg.model.cam_net.pretrained = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=model.state_dict()), path)


@pytest.mark.slow  # trains four models in a process of its own
def test_route_writes_the_table_and_reuses_it(tmp_path):
    demo = tmp_path / 'demo'
    write_world(str(demo / 'world'), num_train=8, num_val=4)
    random_checkpoint('weaktr/toy_cooccur.py', demo / 'weaktr/baseline.pth')
    random_checkpoint('semples/toy_cooccur.py',
                      demo / 'semples/best_stage3.pth')
    work = tmp_path / 'route'
    args = ('--from', str(demo), '--work-dir', str(work), '--epochs', '1')
    proc = run_tool(tmp_path, *args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    for source in ('baseline', 'semples'):
        masks = sorted((work / 'masks' / source).glob('*.png'))
        assert len(masks) == 8
        values = np.unique(np.array(Image.open(masks[0])))
        assert set(values.tolist()) <= set(range(7))
    results = json.loads((work / 'results.json').read_text())
    assert sorted(results['runs']) == sorted(
        f'{s} {loss} seed 0' for s in ('baseline', 'semples')
        for loss in ('ce', 'gcd'))
    for name, run in results['runs'].items():
        assert 0 <= run['mIoU'] <= 100
        # one iteration per epoch (8 images, batch 8)
        assert ('gate' in run) == name.endswith('gcd seed 0')
        if 'gate' in run:
            assert run['gate']['steps'] == 1
    table = (work / 'results.md').read_text()
    assert '| WeakTr baseline | 0.36 |' in table
    assert '| SemPLeS (stage 3) | 0.30 |' in table

    again = run_tool(tmp_path, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count('| reused |') == 6


def test_an_unfinished_demo_folder_is_named(tmp_path):
    (tmp_path / 'demo' / 'world').mkdir(parents=True)
    proc = run_tool(tmp_path, '--from', str(tmp_path / 'demo'))
    assert proc.returncode != 0
    assert 'baseline.pth' in proc.stderr and 'train.txt' in proc.stderr
    assert not (tmp_path / 'work_dirs').exists()


def test_table_means_and_intervals_by_hand():
    # 2 seeds: mean 41, s = sqrt(2), half-width 12.706 * sqrt(2) / sqrt(2)
    assert mean_and_interval([40.0, 42.0]) == '41.0 +- 12.7'
    assert mean_and_interval([40.0]) == '40.0'

    class Source:
        def __init__(self, name, title):
            self.name, self.title = name, title

    table = route_table(
        [Source('a', 'A')], {'a': dict(threshold=0.3, mIoU=55.54)},
        {'a': {'ce': [40.0, 42.0], 'gcd': [50.0]}})
    assert table.splitlines()[2] == '| A | 0.30 | 55.5 | 41.0 +- 12.7 | 50.0 |'


def test_world_config_scales_the_reference_by_a_fifth():
    world = Config.fromfile(str(
        PROJECT / 'configs/weaktr_retrain/segmenter_tiny_gcd_world.py'))
    reference = Config.fromfile(str(
        REPO / 'configs/weaktr_retrain/'
        'segmenter_deit-s_gcd_1xb4-100e_voc-480_pseudo.py'))
    crop, window = world.crop_size[0], \
        world.model.decode_head.loss_decode.window_size
    ref_crop = reference.crop_size[0]
    ref_window = reference.model.decode_head.loss_decode.window_size
    assert (crop, window) == (96, 24) and (ref_crop, ref_window) == (480, 120)
    assert crop // window == ref_crop // ref_window == 4  # 4 x 4 windows
    assert tuple(world.model.test_cfg.stride) == (64, 64)  # 320 / 5
    assert world.model.decode_head.num_classes == 7  # background + 6
    assert world.model.decode_head.fusion_weight == 0.8
    assert world.train_dataloader.dataset.classes_of == 'CooccurWorldDataset'
    assert world.model.decode_head.loss_decode.start_value == 1.2


def test_cam_encoder_loads_whole_into_the_world_segmenter(tmp_path):
    """The CAM DeiT's weights, class tokens averaged, fill every key of the
    world's ViT (StrictVisionTransformer refuses any key left over)."""
    random_checkpoint('weaktr/toy_cooccur.py', tmp_path / 'cam.pth')
    state = torch.load(tmp_path / 'cam.pth')['state_dict']
    weights = encoder_from_cam_network(str(tmp_path / 'cam.pth'),
                                       str(tmp_path / 'encoder.pth'))
    cfg = world_seg_config(
        str(PROJECT / 'configs/weaktr_retrain/segmenter_tiny_gcd_world.py'),
        world='w', mask_dir='m', loss='ce', seed=0, work_dir='x',
        encoder_weights=weights)
    assert cfg.model.decode_head.loss_decode.type == 'CrossEntropyLoss'
    encoder = MODELS.build(cfg.model.backbone)
    encoder.init_weights()
    tokens = state['cam_net.backbone.cls_token']  # (1, 6, 96)
    assert torch.allclose(encoder.cls_token, tokens.mean(1, keepdim=True))
    pos = state['cam_net.backbone.pos_embed']  # (1, 6 + 144, 96)
    assert torch.allclose(encoder.pos_embed[:, 1:], pos[:, 6:])
    assert torch.equal(
        encoder.layers[3].attn.attn.in_proj_weight,
        state['cam_net.backbone.blocks.3.attn.qkv.weight'])
