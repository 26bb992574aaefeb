"""The demo's small variant runs end to end and its CAMs have learned; the
toy configs run on what it leaves; a rerun and the ablation runner reuse its
finished phases; the ablation statistics match a hand computation."""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from mmengine.config import Config

from cooccur_demo.experiment import SMALL_WORLD
from cooccur_demo.world import sample_world_layouts
from mmseg.registry import DATASETS, MODELS

pytestmark = pytest.mark.slow  # trains models in processes of their own

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / 'projects' / 'cooccur_demo'
TOOLS, CONFIGS = PROJECT / 'tools', PROJECT / 'configs'
sys.path.insert(0, str(TOOLS))


def demo_env(cwd) -> dict:
    """This tree's library and demo packages on PYTHONPATH, the toy CLIP
    cached under ``cwd``."""
    return dict(os.environ, SEMPLES_CACHE=str(Path(cwd) / 'cache'),
                PYTHONPATH=os.pathsep.join(
                    [str(REPO), str(PROJECT)] +
                    os.environ.get('PYTHONPATH', '').split(os.pathsep)))


def run_in(cwd, args, timeout=2400):
    """``args`` from folder ``cwd`` (``demo_env``); their output."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=demo_env(cwd))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """The --small demo run from a fresh folder with the default work dir
    (work_dirs/cooccur), as a user runs it from a clone."""
    root = tmp_path_factory.mktemp('demo')
    log = run_in(root, [sys.executable, str(TOOLS / 'run_demo.py'),
                        '--small'])
    return root / 'work_dirs' / 'cooccur', log


def seed_of(results: str, row: str, column: int = 2) -> float:
    line = next(l for l in results.splitlines() if l.startswith(f'| {row} '))
    return float(line.split('|')[column])


def test_demo_writes_table_and_pictures(demo):
    work, log = demo
    results = (work / 'results.md').read_text()
    for row in ('WeakTr baseline', 'SemPLeS stage 1', 'SemPLeS stage 3'):
        assert f'| {row} |' in results
    assert 'FP boat on its scene' in results
    assert '| seed mIoU, t >= 0.40 only |' in results
    for row in ('WeakTr baseline', 'SemPLeS stage 1', 'SemPLeS stage 3'):
        # the full sweep contains 0.40-0.59: its best cannot be lower
        assert seed_of(results, row) >= seed_of(results, row, column=4)
    pictures = list((work / 'pictures').glob('*.png'))
    assert len(pictures) == 5  # 4 world figures + the image demo
    assert (work / 'semples' / 'best_stage3.pth').is_file()


def test_demo_runs_the_image_demo_on_a_world_image(demo):
    """demo/image_demo.py's picture of one held-out image, stage 3."""
    work, log = demo
    picture = work / 'pictures' / 'image_demo.png'
    command = next(line for line in log.splitlines()
                   if 'image demo: python ' in line)
    # run from outside the clone: the repository's files are absolute
    assert f'python {REPO}/demo/image_demo.py ' in command
    assert f' {CONFIGS}/semples/toy_cooccur.py ' in command
    assert 'work_dirs/cooccur/world/JPEGImages/' in command
    assert 'work_dirs/cooccur/semples/best_stage3.pth' in command
    assert command.endswith(
        '--device cpu --out-file work_dirs/cooccur/pictures/image_demo.png')
    image = np.array(Image.open(picture))
    assert image.ndim == 3 and image.shape[2] == 3
    # image | seed labels | at least one CAM panel, each wider than 96 px
    assert image.shape[1] >= 3 * 96 and image.shape[0] >= 96
    assert "CAMs for the CAM network's predicted classes" in log


def test_trained_cams_beat_all_background_and_random_init(demo):
    import run_demo
    work, _ = demo
    results = (work / 'results.md').read_text()
    baseline = seed_of(results, 'WeakTr baseline')
    cfg = Config.fromfile(run_demo.SEMPLES_CFG)
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset,
                                  data_root=str(work / 'world')))
    # all background: bg IoU = bg share, every present class 0
    conf = np.zeros(2)
    for i in range(len(dataset)):
        gt = np.array(Image.open(
            dataset.get_data_info(i)['seg_map_path']))
        conf += [(gt == 0).sum(), (gt != 255).sum()]
    present = {k for i in range(len(dataset))
               for k in np.flatnonzero(dataset.get_data_info(i)['img_labels'])}
    all_background = conf[0] / conf[1] / (len(present) + 1) * 100
    torch.manual_seed(0)
    cfg.model.cam_net.pretrained = None
    cfg.model.clip_guide = None
    cfg.model.prompt_learner = None
    for key in ('match_loss', 'prompt_loss', 'refine_loss'):
        cfg.model[key] = None
    random_model = MODELS.build(cfg.model).eval()
    layouts = sample_world_layouts(SMALL_WORLD['num_val'], seed=0,
                                   split='val')
    thresholds = [round(t / 100, 2) for t in range(5, 96)]
    random_init = run_demo.evaluate(random_model, dataset, layouts,
                                    thresholds)[0]
    print(f'baseline {baseline}, all-background {all_background:.1f}, '
          f'random init {random_init:.1f}')
    assert baseline > all_background + 3
    assert baseline > random_init


def test_probe_prompts_reports_both_tables(demo):
    work, _ = demo
    root = work.parent.parent
    clip = work / 'toy_clip.pt'
    probe = [sys.executable, str(TOOLS / 'probe_prompts.py')]
    log = run_in(root, probe + [str(work / 'semples/best_stage3.pth'),
                                '--clip', str(clip), '--world',
                                str(work / 'world'), '--num-layouts', '30'])
    table1 = [l for l in log.splitlines()
              if re.match(r'\| \w+ \(', l) and not l.startswith('| class')]
    assert [l.split(' (')[0][2:] for l in table1] == [
        'boat', 'bird', 'sheep', 'crab', 'penguin', 'clock']
    values = [float(v) for l in table1 for v in l.split('|')[2:-1]]
    assert len(values) == 6 * 12 and all(-1 <= v <= 1 for v in values)
    assert '| CAM background (1 - M) X |' in log
    assert re.search(r'best-matching scene for [0-6] of 6 prompts', log)
    # a checkpoint without prompts is named, not probed with random ones
    baseline = next((work / 'weaktr').glob('epoch_*.pth'))
    proc = subprocess.run(probe + [str(baseline), '--clip', str(clip),
                                   '--world', str(work / 'world')],
                          cwd=root, capture_output=True, text=True,
                          env=demo_env(root))
    assert proc.returncode != 0
    assert f'{baseline} holds no learned prompts' in proc.stderr


def test_toy_configs_run_on_what_the_demo_leaves(demo):
    work, log = demo
    root = work.parent.parent
    # the toy configs' default weight paths, written by the demo
    for rel in ('work_dirs/cooccur/weaktr/baseline.pth',
                'work_dirs/cooccur/toy_clip.pt'):
        assert (root / rel).is_file(), rel
    cfg = Config.fromfile(str(CONFIGS / 'semples/toy_cooccur.py'))
    assert cfg.model.cam_net.pretrained == \
        'work_dirs/cooccur/weaktr/baseline.pth'
    assert cfg.model.clip_guide.pretrained == 'work_dirs/cooccur/toy_clip.pt'
    # one progress line per phase with an ETA, a timing table at the end
    assert re.search(r'\[1/6\] world: elapsed \d+ s, ETA ', log)
    assert '| SemPLeS stages 1-3 |' in log and 'load average' in log
    # tools/test.py with no option (the world, weights: config defaults)
    out = run_in(root, [sys.executable, str(REPO / 'tools/test.py'),
                        str(CONFIGS / 'semples/toy_cooccur.py'),
                        'work_dirs/cooccur/semples/best_stage3.pth'])
    miou = float(re.findall(r'mIoU: ([\d.]+)', out)[-1])
    assert 0 < miou <= 100


def test_rerun_reuses_every_finished_phase(demo):
    work, _ = demo
    root = work.parent.parent
    before = (work / 'results.md').read_text()
    stamp = (work / 'semples' / 'best_stage3.pth').stat().st_mtime_ns
    log = run_in(root, [sys.executable, str(TOOLS / 'run_demo.py'),
                        '--small'])
    for phase in ('world', 'toy CLIP', 'WeakTr baseline',
                  'SemPLeS stages 1-3', 'evaluation'):
        assert f'{phase}: reusing' in log, phase
        assert re.search(rf'\| {re.escape(phase)} \| reused \|', log)
    assert 'running ' not in log  # no training subprocess
    assert (work / 'semples' / 'best_stage3.pth').stat().st_mtime_ns == stamp
    assert (work / 'results.md').read_text() == before
    assert len(list((work / 'pictures').glob('*.png'))) == 5


def test_ablation_table_small_statistics_by_hand(demo):
    """The demo's tools/ablate.py controls --seeds 2 --small --jobs 2 on its
    folder: the world, toy CLIP and baseline are reused, the two seeds train
    in two processes; mean, std, paired differences and their 95%
    t-interval are recomputed here from the per-seed mIoUs; a serial rerun
    reuses both seeds' runs."""
    work, _ = demo
    root = work.parent.parent
    log = run_in(root, [sys.executable, str(TOOLS / 'ablate.py'),
                        'controls', '--seeds', '2', '--small', '--jobs', '2'])
    # one child process per seed, each with its own progress lines
    assert re.search(r'\[\d+/\d+\] stage 1, seed 0: elapsed ', log)
    for phase in ('world', 'toy CLIP', 'WeakTr baseline'):
        assert f'{phase}: reusing' in log, phase
    assert re.search(r'\[\d+/\d+\] stage 1, seed 1: elapsed .* ETA ', log)
    summary = json.loads((work / 'ablate' / 'controls.json').read_text())
    rows = {r['label']: r for r in summary['rows']}
    ref = rows['L_match only']
    assert summary['reference'] == 'L_match only'
    assert ref['seeds'] == [0, 1] and len(rows) == 4
    t975_1 = 12.706204736  # Student t, 97.5% quantile, 1 degree of freedom
    for label, r in rows.items():
        a, b = r['miou']
        assert r['mean'] == pytest.approx((a + b) / 2)
        assert r['std'] == pytest.approx(abs(a - b) / math.sqrt(2))
        d = [x - y for x, y in zip(r['miou'], ref['miou'])]
        assert r['diff']['diffs'] == pytest.approx(d)
        half = t975_1 * abs(d[0] - d[1]) / math.sqrt(2) / math.sqrt(2)
        assert r['diff']['low'] == pytest.approx(sum(d) / 2 - half)
        assert r['diff']['high'] == pytest.approx(sum(d) / 2 + half)
        assert len(r['fp_per_class']) == 6
    # the per-seed values are the runs' own evaluations
    for label, r in rows.items():
        for seed, run_dir, miou in zip(r['seeds'], r['runs'], r['miou']):
            name = 'eval_' + r['checkpoint'][:-4] + '.json'
            score = json.loads((work / run_dir / name).read_text())
            assert score['miou_greedy'] == miou
    # L_match only is the shared stage 1: one run per seed, reused
    assert rows['learned prompts (SemPLeS)']['runs'] != ref['runs']
    md = (work / 'ablate' / 'controls.md').read_text()
    assert '| manual home-scene prompts |' in md and 'reference' in md
    assert (work / 'ablate' / 'controls.png').stat().st_size > 10_000
    # a rerun trains nothing
    again = run_in(root, [sys.executable, str(TOOLS / 'ablate.py'),
                          'controls', '--seeds', '2', '--small'])
    assert 'training ' not in again
    assert json.loads((work / 'ablate' / 'controls.json').read_text())[
        'rows'][1]['miou'] == rows['learned prompts (SemPLeS)']['miou']


def test_compare_weaktr_toy_on_the_demo(demo):
    """The compatibility table's WeakTr row through the library's
    tools/compare.py with the demo's two configs, on the demo's checkpoints
    with the configs' default data root."""
    work, _ = demo
    root = work.parent.parent
    out = run_in(root, [
        sys.executable, str(REPO / 'tools/compare.py'), 'weaktr_toy',
        '--baseline-config', str(CONFIGS / 'weaktr/toy_cooccur.py'),
        '--semples-config', str(CONFIGS / 'semples/toy_cooccur.py'),
        '--baseline-ckpt', 'work_dirs/cooccur/weaktr/baseline.pth',
        '--semples-ckpt', 'work_dirs/cooccur/semples/best_stage3.pth',
        '--out-dir', 'work_dirs/cooccur/compare_weaktr'])
    table = (work / 'compare_weaktr' / 'comparison.md').read_text()
    assert 'seed' in table.lower() and 'boat' in table
    assert 'comparison.md' in out or table


def test_clims_toy_configs_train_on_the_demo_world(demo):
    """The compatibility table's CLIMS side: the CLIMS toy baseline and
    SemPLeS on it train (one short epoch per stage) and compare.py scores
    both, with the toy configs' default world and CLIP paths."""
    work, _ = demo
    root = work.parent.parent
    short = root / 'short_semples_clims.py'
    short.write_text(
        f"_base_ = ['{CONFIGS}/semples/clims_toy_cooccur.py']\n"
        'train_cfg = dict(stages=[\n'
        "    dict(stage=1, max_epochs=1, losses=['match', 'cam'],\n"
        "         lr=dict(cam_net=1e-2, classifier=1e-1), schedule='poly'),\n"
        "    dict(stage=2, max_epochs=1, lr=dict(prompt_learner=2.5e-2)),\n"
        "    dict(stage=3, max_epochs=1, losses=['match', 'cam', 'refine'],\n"
        "         lr=dict(cam_net=1e-2, classifier=1e-1), schedule='poly')])\n")
    # from random weights: the baseline CAM they start from is the CLIMS
    # route's (tests/projects/cooccur_demo/test_clims_route.py)
    subset = ['--cfg-options', 'train_dataloader.dataset.indices=16',
              'train_dataloader.batch_size=8',
              'val_dataloader.dataset.indices=4',
              'test_dataloader.dataset.indices=4',
              'model.cam_net.pretrained=None']
    train = [sys.executable, str(REPO / 'tools/train.py')]
    run_in(root, train + [str(CONFIGS / 'clims/toy_cooccur.py'),
                          '--work-dir', 'work_dirs/clims_toy',
                          '--cfg-options', 'train_cfg.max_epochs=1',
                          'train_cfg.val_interval=1'] + subset[1:])
    run_in(root, train + [str(short), '--work-dir',
                          'work_dirs/semples_clims_toy'] + subset)
    baseline, = (root / 'work_dirs/clims_toy').glob('epoch_1.pth')
    ours = root / 'work_dirs/semples_clims_toy/best_stage3.pth'
    assert ours.is_file()
    run_in(root, [sys.executable, str(REPO / 'tools/compare.py'),
                  'clims_toy', '--baseline-config',
                  str(CONFIGS / 'clims/toy_cooccur.py'), '--semples-config',
                  str(CONFIGS / 'semples/clims_toy_cooccur.py'),
                  '--baseline-ckpt', str(baseline),
                  '--semples-ckpt', str(ours), '--out-dir',
                  'work_dirs/compare_clims'] + subset)
    assert 'boat' in (root / 'work_dirs/compare_clims/comparison.md'
                      ).read_text()
