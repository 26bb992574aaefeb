"""The SLIC stand-in for FMA-WSSS's SAM seeding on the world
(``tools/sam_route.py``): its files, its scores recomputed by hand, its
reuse of finished steps, and its input checks."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from cooccur_demo.sam_route import (RouteSide, demo_sides,
                                    route_input_problems)
from cooccur_demo.world import write_world
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules
from semples_mmseg.pseudo_masks import sam_seeds
from semples_mmseg.pseudo_masks.region_masks_io import load_region_masks

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / 'projects' / 'cooccur_demo'
TOOL = PROJECT / 'tools' / 'sam_route.py'
CONFIGS = PROJECT / 'configs'
BASELINE_CFG = str(CONFIGS / 'weaktr' / 'toy_cooccur.py')
SEMPLES_CFG = str(CONFIGS / 'semples' / 'toy_cooccur.py')
SIDES = {'WeakTr baseline': ('weaktr/baseline.pth', BASELINE_CFG, 0.4),
         'SemPLeS stage 3': ('semples/best_stage3.pth', SEMPLES_CFG, 0.3)}


def fake_demo(root: Path) -> Path:
    """A demo folder: a 5-image world, random-weight networks of the toy
    configs and a results.json with their thresholds."""
    register_all_modules(init_default_scope=True)
    import cooccur_demo  # noqa: F401
    write_world(str(root / 'world'), num_train=5, num_val=1, image_size=96,
                seed=1)
    torch.manual_seed(0)
    for ckpt, config, _ in SIDES.values():
        cfg = Config.fromfile(config)
        cfg.model.cam_net.pretrained = None
        if cfg.model.get('clip_guide'):
            cfg.model.clip_guide.pretrained = None
        model = MODELS.build(cfg.model)
        (root / ckpt).parent.mkdir(parents=True, exist_ok=True)
        torch.save(dict(state_dict=model.state_dict()), root / ckpt)
    results = {name: dict(threshold=0.5, threshold_max=t)
               for name, (_, _, t) in SIDES.items()}
    (root / 'results.json').write_text(json.dumps(results))
    return root


def run_tool(args, capsys) -> str:
    """The tool's ``main(args)`` in this process (a second process would
    only repeat the imports); its printed output."""
    sys.path.insert(0, str(TOOL.parent))  # its project_files, as run
    try:
        spec = importlib.util.spec_from_file_location('sam_route_tool', TOOL)
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        capsys.readouterr()
        tool.main(args)
    finally:
        sys.path.remove(str(TOOL.parent))
    return capsys.readouterr().out


def miou(folder: Path, gt_dir: Path, ids) -> float:
    """mIoU over the 7 labels present in GT or prediction, by hand."""
    inter, union = np.zeros(7), np.zeros(7)
    for i in ids:
        pred = np.array(Image.open(folder / f'{i}.png'))
        gt = np.array(Image.open(gt_dir / f'{i}.png'))
        valid = gt != 255
        for c in range(7):
            p, g = (pred == c) & valid, (gt == c) & valid
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    return 100 * np.mean(inter[union > 0] / union[union > 0])


@pytest.mark.slow  # CAM export, CRF, SLIC and seeding, twice
def test_sam_route_writes_scores_seeds_and_reuses_steps(tmp_path, capsys):
    demo = fake_demo(tmp_path / 'demo')
    work = tmp_path / 'route'
    args = ['--from', str(demo), '--work-dir', str(work),
            '--slic', '30', '8', '--gammas', '0.7']
    log = run_tool(args, capsys)
    assert 'not SAM masks' in log
    world = demo / 'world'
    ids = (world / 'ImageSets/Segmentation/train.txt').read_text().split()
    assert len(ids) == 5
    results = json.loads((work / 'results_slic30-8.json').read_text())
    for name, (_, _, threshold) in SIDES.items():
        side = work / name.lower().replace(' ', '_')
        row = results[name]
        assert row['threshold'] == threshold  # the demo's chosen one
        for key, folder in (('plain', 'threshold'),
                            ('crf', 'threshold_crf')):
            assert row[key]['images'] == 5
            assert row[key]['mIoU'] == pytest.approx(
                miou(side / folder, world / 'SegmentationClassAug', ids),
                abs=0.01)
        seeds = side / 'seeds_slic30-8_gamma0.7'
        assert row['seeds']['0.7']['mIoU'] == pytest.approx(
            miou(seeds, world / 'SegmentationClassAug', ids), abs=0.01)
        # each seed is sam_seeds of the written regions and CAMs
        labels = np.load(world / 'cls_labels.npy', allow_pickle=True).item()
        for i in ids[:2]:
            regions = load_region_masks(str(work / 'slic30-8_regions' /
                                            f'{i}.npz'))
            assert sorted(set(regions.levels.tolist())) == [0, 1]
            present = np.flatnonzero(labels[i])
            cams = np.load(side / 'threshold' / 'cams' / f'{i}.npy')
            expected = sam_seeds(cams[present].astype(np.float32),
                                 present + 1, regions.masks, regions.levels,
                                 gamma=0.7)
            np.testing.assert_array_equal(
                np.array(Image.open(seeds / f'{i}.png')), expected)
    table = (work / 'results_slic30-8.md').read_text()
    assert '| WeakTr baseline | 0.40 |' in table
    assert '| SemPLeS stage 3 | 0.30 |' in table

    # a rerun with one more gamma reuses every step and adds that one
    records = {p: p.stat().st_mtime_ns for p in work.rglob('phase.json')}
    log = run_tool(args[:-1] + ['0.7', '0.9'], capsys)
    assert {p: p.stat().st_mtime_ns for p in records} == records
    assert log.count('reusing') == len(records) == 7
    assert log.count('writing') == 2  # gamma 0.9, once per side
    results = json.loads((work / 'results_slic30-8.json').read_text())
    assert set(results['SemPLeS stage 3']['seeds']) == {'0.7', '0.9'}

    # other SLIC scales share the CAM steps, with files of their own
    log = run_tool(['--from', str(demo), '--work-dir', str(work), '--slic',
                    '8', '30', '--gammas', '0.7'], capsys)
    assert log.count('reusing') == 4  # threshold (+ CRF) masks per side
    assert log.count('writing') == 3  # the regions, a seed folder per side
    assert (work / 'results_slic8-30.md').is_file()
    assert (work / 'slic30-8_regions' / f'{ids[0]}.npz').is_file()


def test_route_inputs_are_checked_before_compute(tmp_path):
    demo = tmp_path / 'demo'
    (demo / 'world/ImageSets/Segmentation').mkdir(parents=True)
    (demo / 'world/world_meta.json').write_text('{}')
    sides = demo_sides(str(demo), baseline_config=BASELINE_CFG,
                       semples_config=SEMPLES_CFG)
    # no results.json: the configs' own thresholds
    assert [s.threshold for s in sides] == [0.36, 0.30]
    assert 'bg_threshold' in sides[0].threshold_source
    problems = route_input_problems(
        str(demo / 'world'), 'ImageSets/Segmentation/train.txt',
        sides + [RouteSide('x', BASELINE_CFG, sides[0].checkpoint, 1.5, '')],
        [400, 0], [0.7, -1])
    text = '\n'.join(problems)
    assert 'train.txt: missing' in text
    assert f'{demo}/weaktr/baseline.pth: missing' in text
    assert f'{demo}/semples/best_stage3.pth: missing' in text
    assert 'threshold 1.5' in text
    assert '[400, 0]' in text and '[0.7, -1]' in text
    assert route_input_problems(str(demo / 'world'), 'world_meta.json',
                                [], [25], [0.7]) == []
