"""Training still reports a missing CLIP / CAM weight file, before the first
iteration: the modules read them in init_weights(), which the Runner calls
at the start of train() (building the model reads nothing)."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')
pytestmark = pytest.mark.slow  # builds runners of the real tiny config


@pytest.mark.parametrize('part,name', [('clip_guide', 'ViT-B-32.pt'),
                                       ('cam_net', 'weaktr_voc_cam.pth')])
def test_missing_weight_file_stops_training_before_the_first_iteration(
        tmp_path, monkeypatch, part, name):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    cfg = Config.fromfile(TINY)
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(tmp_path / 'data')
    absent = tmp_path / 'absent' / name
    cfg.model[part].pretrained = str(absent)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)  # builds the model: reads no file
    with pytest.raises(FileNotFoundError, match=re.escape(str(absent))):
        runner.train()
    assert runner.iter == 0
    assert not list((tmp_path / 'work').glob('*.pth'))
