"""The three SemPLeS stages end to end through the tools, on a VOC fixture."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path

import mmseg
import numpy as np
import pytest
import torch
from PIL import Image

from fixtures import make_voc_fixture

pytestmark = pytest.mark.slow  # trains models / spawns processes

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def data_options(root):
    return [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'val', 'test')]


def run(args, env=None, timeout=600):
    proc = subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def state(path, prefix):
    sd = torch.load(path, map_location='cpu', weights_only=False)['state_dict']
    return {k: v for k, v in sd.items() if k.startswith(prefix)}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One full run of the three stages, keeping every epoch's checkpoint."""
    root = tmp_path_factory.mktemp('semples')
    make_voc_fixture(str(root / 'data'), num_images=6)
    work = root / 'work'
    log = run([sys.executable, 'tools/train.py', TINY, '--work-dir', str(work),
               '--cfg-options', *data_options(root / 'data'),
               'default_hooks.checkpoint.max_keep_ckpts=-1'])
    return root, work, log


def test_three_stages_run_in_order_and_write_their_checkpoints(trained):
    root, work, log = trained
    order = [log.index(f'SemPLeS stage {s} (') for s in (1, 2, 3)]
    assert order == sorted(order)
    for name in ('best_stage1.pth', 'best_stage3.pth', 'semples_cam_init.pth',
                 'epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth'):
        assert (work / name).is_file(), name
    assert 'mIoU' in log and 'saved best_stage3.pth' in log
    assert list(work.glob('*/vis_data/vis_image/cam_*.png'))
    # CLIP is never written into our checkpoints
    sd = torch.load(work / 'epoch_3.pth', map_location='cpu',
                    weights_only=False)['state_dict']
    assert not any('clip' in k for k in sd)


def test_stage_weights_come_from_the_right_places(trained):
    _, work, _ = trained
    init = torch.load(work / 'semples_cam_init.pth',
                      weights_only=True)['state_dict']
    e1, e2, e3 = (state(work / f'epoch_{i}.pth', '') for i in (1, 2, 3))
    cam = lambda sd: {k[8:]: v for k, v in sd.items()  # noqa: E731
                      if k.startswith('cam_net.')}
    prompts = lambda sd: sd['prompt_learner.prompts']  # noqa: E731
    # stage 1 trained the CAM head; stage 2 froze it (= best of stage 1)
    assert not same(cam(e1), init)
    assert same(cam(e2), cam(state(work / 'best_stage1.pth', '')))
    # stage 2 trained the prompts; stage 3 kept them fixed
    assert not torch.equal(prompts(e1), prompts(e2))
    assert torch.equal(prompts(e2), prompts(e3))
    # stage 3 restarted from the initial CAM weights, then trained them
    head = 'head.weight'
    assert not torch.equal(cam(e3)[head], cam(e2)[head])
    assert (cam(e3)[head] - init[head]).abs().max() < \
        (cam(e3)[head] - cam(e2)[head]).abs().max()
    # the frozen DeiT never moved
    for k, v in init.items():
        if k.startswith('backbone.'):
            assert torch.equal(cam(e3)[k], v), k


def test_resume_after_stage_1_continues_at_stage_2(trained, tmp_path):
    root, work, _ = trained
    resumed = tmp_path / 'resumed'
    resumed.mkdir()
    for name in ('epoch_1.pth', 'best_stage1.pth', 'semples_cam_init.pth'):
        (resumed / name).write_bytes((work / name).read_bytes())
    (resumed / 'last_checkpoint').write_text(str(resumed / 'epoch_1.pth'))
    log = run([sys.executable, 'tools/train.py', TINY, '--work-dir',
               str(resumed), '--resume', '--cfg-options',
               *data_options(root / 'data')])
    assert 'Epoch(train) [1]' not in log
    assert 'SemPLeS stage 2 (prompts): epochs 2-2' in log
    assert (resumed / 'best_stage3.pth').is_file()


def test_test_tool_exports_seed_masks(trained, tmp_path):
    root, work, _ = trained
    out = tmp_path / 'masks'
    log = run([sys.executable, 'tools/test.py', TINY,
               str(work / 'best_stage3.pth'), '--out', str(out),
               '--work-dir', str(tmp_path / 'test'), '--cfg-options',
               *data_options(root / 'data')])
    assert 'mIoU' in log
    assert len(list(out.glob('*.png'))) == 3  # the val split
    # the folder and the log say at which threshold the files are
    summary = json.loads((out / 'label_maps.json').read_text())
    assert summary['background_threshold'] == 0.43
    assert summary['threshold_source'] == 'model.test_cfg.bg_threshold'
    assert summary['threshold_rule'] == 'greedy'
    assert f'label maps in {out} use background threshold 0.43' in log
    assert f"their mIoU {summary['label_maps_mIoU']:.2f}" in log


def test_test_tool_out_threshold_is_chosen_by_option(trained, tmp_path):
    root, work, _ = trained
    out = tmp_path / 'masks'
    log = run([sys.executable, 'tools/test.py', TINY,
               str(work / 'best_stage3.pth'), '--out', str(out),
               '--work-dir', str(tmp_path / 'test'), '--cfg-options',
               *data_options(root / 'data'),
               'test_evaluator.output_threshold=0.99'])
    assert 'label maps at background threshold 0.99 ' \
        '(test_evaluator.output_threshold)' in log
    summary = json.loads((out / 'label_maps.json').read_text())
    assert summary['background_threshold'] == 0.99
    assert summary['threshold_source'] == 'test_evaluator.output_threshold'
    # min-max CAMs top out just below 1: at 0.99 almost every pixel is
    # background, unlike at the config's 0.43
    labels = [np.array(Image.open(p)) for p in sorted(out.glob('*.png'))]
    assert np.mean([(lab == 0).mean() for lab in labels]) > 0.9


def test_two_cpu_processes_run_all_stages(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=8)
    log = run(['bash', 'tools/dist_train.sh', TINY, '2', '--work-dir',
               str(tmp_path / 'work'), '--cfg-options',
               *data_options(tmp_path / 'data')],
              env=dict(PORT=str(free_port()), PYTHON=sys.executable,
                       OMP_NUM_THREADS='1'))
    assert 'gloo (rank 0 of 2)' in log
    assert (tmp_path / 'work' / 'best_stage3.pth').is_file()


def test_mmseg_own_train_tool_runs_our_config(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    mmseg_train = osp.join(osp.dirname(mmseg.__file__), '.mim/tools/train.py')
    log = run([sys.executable, mmseg_train, TINY, '--work-dir',
               str(tmp_path / 'work'), '--cfg-options',
               *data_options(tmp_path / 'data')])
    assert 'SemPLeS stage 3' in log
    assert (tmp_path / 'work' / 'best_stage3.pth').is_file()
