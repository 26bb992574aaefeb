"""tools/{dist_train,dist_test}.sh on CPU, and mmseg's own tools/train.py.

A stock mmseg model (EncoderDecoder, tiny ResNetV1c + FCNHead, SyncBN in the
config) on mmseg's PascalVOCDataset over a VOC-layout fixture: trained by
two CPU processes, resumed, tested by two processes; then the same config
trained single-process by mmseg's own train tool.
"""
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path

import mmseg
import pytest
import torch
from mmengine.config import Config

from fixtures import make_voc_fixture

pytestmark = pytest.mark.slow  # trains models / spawns processes

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/data/configs/stock_fcn_tiny_fixture.py')
MMSEG_TRAIN = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                       'train.py')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_tool(args, log_file: Path, *, fails: bool = False, **env) -> str:
    """Run a tool from the repo root; return its output, fail on exit != 0
    (``fails``: on exit 0).

    The whole output (every rank) is also written to ``log_file``.
    """
    proc = subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
                 **env))
    out = proc.stdout + proc.stderr
    log_file.write_text(out)
    assert (proc.returncode != 0) == fails, \
        f'exit {proc.returncode}, full log: {log_file}\n' + out[-4000:]
    return out


def data_root_options(root) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}'
            for split in ('train', 'test')]


def checkpoint_meta(path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)['meta']


@pytest.fixture(scope='module')
def two_process_run(tmp_path_factory):
    """4 iterations by 2 CPU processes through tools/dist_train.sh."""
    root = tmp_path_factory.mktemp('dist')
    make_voc_fixture(str(root / 'data'), num_images=8)
    work = root / 'work'
    log = run_tool(['bash', 'tools/dist_train.sh', CONFIG, '2',
                    '--work-dir', str(work), '--cfg-options',
                    *data_root_options(root / 'data')],
                   root / 'train.log', PORT=str(free_port()))
    return root, work, log


def test_two_cpu_processes_train_the_stock_model(two_process_run):
    _, work, log = two_process_run
    assert 'CPU host: process group on gloo (rank 0 of 2), ' \
           'DDP device_ids=None, 2 SyncBN -> BN' in log
    assert 'Distributed launcher: pytorch' in log
    assert 'Iter(train) [4/4]' in log
    assert (work / 'iter_2.pth').is_file() and (work / 'iter_4.pth').is_file()
    assert checkpoint_meta(work / 'iter_4.pth')['iter'] == 4
    # the config file says SyncBN (no CPU kernel: "expected input tensor to
    # be on GPU"); the config the run used, dumped by mmengine, says BN
    used = Config.fromfile(str(work / 'stock_fcn_tiny_fixture.py'))
    assert used.model.backbone.norm_cfg.type == 'BN'
    assert used.model.decode_head.norm_cfg.type == 'BN'
    assert used.model_wrapper_cfg.device_ids is None
    assert used.env_cfg.dist_cfg.backend == 'gloo'
    assert Config.fromfile(CONFIG).model.backbone.norm_cfg.type == 'SyncBN'


def test_resume_continues_past_the_first_run(two_process_run, tmp_path):
    root, work, _ = two_process_run
    resumed = tmp_path / 'work'
    resumed.mkdir()
    (resumed / 'iter_4.pth').write_bytes((work / 'iter_4.pth').read_bytes())
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_4.pth'))
    log = run_tool(['bash', 'tools/dist_train.sh', CONFIG, '2', '--resume',
                    '--work-dir', str(resumed), '--cfg-options',
                    *data_root_options(root / 'data'),
                    'train_cfg.max_iters=6'],
                   tmp_path / 'resume.log', PORT=str(free_port()))
    assert f'Load checkpoint from {resumed / "iter_4.pth"}' in log
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [1/6]' not in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [6/6]' in log
    assert checkpoint_meta(resumed / 'iter_6.pth')['iter'] == 6


def test_two_cpu_processes_test_and_write_predictions(two_process_run,
                                                      tmp_path):
    root, work, _ = two_process_run
    out = tmp_path / 'pred'
    log = run_tool(['bash', 'tools/dist_test.sh', CONFIG,
                    str(work / 'iter_4.pth'), '2', '--out', str(out),
                    '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                    *data_root_options(root / 'data')],
                   tmp_path / 'test.log', PORT=str(free_port()))
    assert 'rank 0 of 2' in log and 'mIoU' in log
    val_ids = (root / 'data/ImageSets/Segmentation/val.txt').read_text().split()
    assert sorted(p.stem for p in out.glob('*.png')) == sorted(val_ids)


def test_an_out_folder_that_cannot_be_made_stops_every_rank(two_process_run,
                                                           tmp_path):
    root, work, _ = two_process_run
    blocked = tmp_path / 'pred'
    blocked.write_text('a file where the folder must go')
    log = run_tool(['bash', 'tools/dist_test.sh', CONFIG,
                    str(work / 'iter_4.pth'), '2', '--out', str(blocked),
                    '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                    *data_root_options(root / 'data')],
                   tmp_path / 'test.log', fails=True, PORT=str(free_port()))
    # each rank names the folder and exits, before the model is built
    assert log.count(f'cannot create the output folder {blocked}: '
                     'a file is in its place') == 2
    assert '(rank 0, 1)' in log
    assert 'Load checkpoint' not in log


# tools/test.py with rank 0's own folder creation in IoUMetric (the only one
# mmseg does, on the main process) held back until another rank has written
# a prediction into the folder: without a folder made on every rank first,
# rank 1's first write has no folder, whatever the timing
LATE_MAIN_PROCESS_FOLDER = '''
import os, runpy, sys, time
from mmseg.evaluation.metrics import iou_metric
make = iou_metric.mkdir_or_exist

def late(path, *args, **kwargs):
    if os.environ.get('RANK') == '0':
        give_up = time.monotonic() + 120  # never reached when it works
        while time.monotonic() < give_up and not (
                os.path.isdir(path) and os.listdir(path)):
            time.sleep(0.05)
    make(path, *args, **kwargs)

iou_metric.mkdir_or_exist = late
sys.argv = ['tools/test.py'] + sys.argv[1:]
runpy.run_path('tools/test.py', run_name='__main__')
'''


def two_process_test(script: str, args, folder: Path):
    """``script`` (a tools/test.py wrapper) on 2 CPU processes (torchrun,
    gloo); the finished process, its output also in ``folder/run.log``."""
    path = folder / 'wrapped_test_tool.py'
    path.write_text(script)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', str(free_port()), str(path), *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    (folder / 'run.log').write_text(proc.stdout + proc.stderr)
    return proc


def test_every_rank_has_the_out_folder_before_its_first_write(
        two_process_run, tmp_path):
    root, work, _ = two_process_run
    out = tmp_path / 'pred'
    proc = two_process_test(
        LATE_MAIN_PROCESS_FOLDER,
        [CONFIG, str(work / 'iter_4.pth'), '--launcher', 'pytorch', '--out',
         str(out), '--work-dir', str(tmp_path / 'test'), '--cfg-options',
         *data_root_options(root / 'data')], tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    val_ids = (root / 'data/ImageSets/Segmentation/val.txt').read_text()
    assert sorted(p.stem for p in out.glob('*.png')) == sorted(val_ids.split())


def test_mmseg_own_train_tool_registers_our_modules(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    work = tmp_path / 'work'
    # LoadCheckedImageFromFile exists only in semples_mmseg: the run works
    # only if the config's custom_imports registered our package
    log = run_tool([sys.executable, MMSEG_TRAIN, CONFIG, '--work-dir',
                    str(work), '--cfg-options',
                    *data_root_options(tmp_path / 'data'),
                    'train_dataloader.dataset.pipeline.0.type='
                    'LoadCheckedImageFromFile',
                    'train_cfg.max_iters=2',
                    'default_hooks.checkpoint.interval=2'],
                   tmp_path / 'train.log')
    assert 'CPU host' not in log  # no launcher: nothing adapted
    assert 'Iter(train) [2/2]' in log
    assert checkpoint_meta(work / 'iter_2.pth')['iter'] == 2
