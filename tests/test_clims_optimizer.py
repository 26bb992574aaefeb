"""CLIMS's configs use its optimiser as it runs: torch SGD with weight decay
1e-4 and, through IRNet's PolyOptimizer passing the weight decay into SGD's
momentum slot, momentum 1e-4."""
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CLIMS_CONFIGS = [
    'configs/clims/clims_voc.py', 'configs/clims/clims_coco.py',
    'configs/semples/clims_voc.py', 'configs/semples/clims_coco.py',
    'projects/cooccur_demo/configs/clims/toy_cam_cooccur.py',
    'projects/cooccur_demo/configs/clims/toy_cooccur.py',
    'projects/cooccur_demo/configs/semples/clims_toy_cooccur.py'
]


@pytest.mark.parametrize('path', CLIMS_CONFIGS)
def test_sgd_momentum_is_the_weight_decay(path):
    optimizer = Config.fromfile(str(REPO / path)).optim_wrapper.optimizer
    assert (optimizer.type, optimizer.momentum, optimizer.weight_decay) == (
        'SGD', 1e-4, 1e-4)
