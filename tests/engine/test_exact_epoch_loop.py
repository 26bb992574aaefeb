"""ExactEpochBasedTrainLoop: the baselines' weights do not depend on the
number of dataloader workers (torch's DataLoader draws a worker base seed
from the global RNG per iterator: every epoch with 0 workers, once with
persistent ones; the drop-path draws of the model would follow it)."""
import pytest
import torch
from test_baseline_redo_validation import state, tiny_baseline, train

from fixtures import make_voc_fixture

pytestmark = pytest.mark.slow  # trains models / spawns processes


def baseline(root, name, loop, workers):
    cfg = tiny_baseline('configs/weaktr/weaktr_voc.py', root / 'data',
                        root / name)
    cfg.train_cfg.type = loop
    cfg.model.cam_net.drop_path_rate = 0.5  # draws that show in the weights
    cfg.train_dataloader.num_workers = workers
    cfg.train_dataloader.persistent_workers = workers > 0
    train(cfg)
    return state(root / name / 'epoch_3.pth')


def differing(a, b):
    return [k for k in a if not torch.equal(a[k], b[k])]


def test_weights_do_not_depend_on_the_worker_count(tmp_path):
    torch.set_num_threads(1)
    make_voc_fixture(str(tmp_path / 'data'), num_images=4)
    exact = [baseline(tmp_path, f'exact{w}', 'ExactEpochBasedTrainLoop', w)
             for w in (0, 2)]
    assert differing(*exact) == []
    # mmengine's own loop: epochs 2 and 3 drop other paths with 2 workers
    stock = [baseline(tmp_path, f'stock{w}', 'EpochBasedTrainLoop', w)
             for w in (0, 2)]
    assert differing(*stock)
