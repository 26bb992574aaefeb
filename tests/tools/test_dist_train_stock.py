"""tools/dist_train.sh with 2 CPU processes on a stock mmseg model, resumed."""
import sys
from pathlib import Path

import torch

from semples_mmseg.testing import make_voc_fixture
from test_train_semples import free_port, run

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/data/configs/stock_fcn_tiny_fixture.py')


def test_two_processes_train_then_resume(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=8)
    work = tmp_path / 'work'
    common = ['--work-dir', str(work), '--cfg-options',
              f'train_dataloader.dataset.data_root={tmp_path / "data"}']
    env = dict(PYTHON=sys.executable, OMP_NUM_THREADS='1')
    log = run(['bash', 'tools/dist_train.sh', CONFIG, '2', *common],
              env=dict(env, PORT=str(free_port())))
    assert '2 SyncBN -> BN' in log and 'gloo (rank 0 of 2)' in log
    assert (work / 'iter_4.pth').is_file()
    log = run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--resume',
               *common, 'train_cfg.max_iters=6'],
              env=dict(env, PORT=str(free_port())))
    assert 'resumed' in log.lower()
    assert 'Iter(train) [1/6]' not in log and 'Iter(train) [5/6]' in log
    meta = torch.load(work / 'iter_6.pth', map_location='cpu',
                      weights_only=False)['meta']
    assert meta['iter'] == 6
