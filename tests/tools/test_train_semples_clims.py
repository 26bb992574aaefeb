"""SemPLeS on CLIMS end to end through tools/train.py on a VOC fixture."""
import sys
from pathlib import Path

from fixtures import make_voc_fixture
from test_train_semples import data_options, run, state

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/data/configs/semples_clims_tiny_fixture.py')


def test_clims_stages_use_their_losses(tmp_path):
    make_voc_fixture(str(tmp_path / 'data'), num_images=6)
    work = tmp_path / 'work'
    log = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir',
               str(work), '--cfg-options', *data_options(tmp_path / 'data'),
               'default_hooks.checkpoint.max_keep_ckpts=-1'])
    stage1 = log[log.index('SemPLeS stage 1'):log.index('SemPLeS stage 2')]
    stage3 = log[log.index('SemPLeS stage 3'):]
    assert 'loss_area' in stage1 and 'loss_match' in stage1
    assert 'loss_cbs' not in log  # the manual prompts are replaced
    assert 'loss_refine' in stage3 and 'loss_area' in stage3
    # the classifier trains at 10x the backbone lr, both polynomially decayed
    assert "lr {'cam_net': 0.00025, 'classifier': 0.0025}" in stage1
    e1, e3 = (state(work / f'epoch_{i}.pth', 'cam_net.') for i in (1, 3))
    init = Path(work / 'semples_cam_init.pth')
    assert init.is_file() and (work / 'best_stage3.pth').is_file()
    # conv1 / bn1 stay frozen through every stage
    assert all(
        (e1[k] == e3[k]).all() for k in e1 if k.startswith('cam_net.conv1.'))
