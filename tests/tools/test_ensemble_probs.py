"""tools/analysis_tools/ensemble_probs.py on two hand-made folders."""
import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from semples_mmseg.apis.probability_ensemble import save_probabilities
from fixtures import make_voc_fixture

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools/analysis_tools/ensemble_probs.py')
CONFIG = str(REPO / 'tests/data/configs/semples_tiny_fixture.py')


def run_tool(*args, monkeypatch):
    tool = runpy.run_path(TOOL, run_name='tool')
    monkeypatch.setattr(sys, 'argv', ['ensemble_probs.py', *args])
    tool['main']()


def test_fused_labels_scored_against_gt(tmp_path, monkeypatch, capsys):
    written = make_voc_fixture(str(tmp_path / 'data'), num_images=2,
                               height=8, width=10)
    first, second = tmp_path / 'a', tmp_path / 'b'
    first.mkdir(), second.mkdir()
    for img_id in written['ids'][1:]:  # the val split: the second image
        gt = np.array(Image.open(
            tmp_path / 'data/SegmentationClassAug' / f'{img_id}.png'))
        classes = sorted(set(np.unique(gt).tolist()) - {255})
        # the first model is right everywhere, unsure (0.55); the second is
        # sure (0.9) of a wrong class 17 and has no background
        prob = np.stack([(gt == c) * 0.55 + (gt != c) * 0.45 / max(
            1, len(classes) - 1) for c in classes])
        save_probabilities(prob, classes, str(first / f'{img_id}.npz'))
        save_probabilities(np.full((1, 8, 10), 0.9), [17],
                           str(second / f'{img_id}.npz'))
    out = tmp_path / 'ens'
    run_tool(str(first), str(second), '--out-dir', str(out), '--config',
             CONFIG, '--ann-file', 'ImageSets/Segmentation/val.txt',
             '--cfg-options',
             f'test_dataloader.dataset.data_root={tmp_path}/data',
             monkeypatch=monkeypatch)
    # 0.85 * 0.55 = 0.47 > 0.15 * 0.9 = 0.135: the first model's labels
    scores = json.loads((out / 'scores.json').read_text())
    assert scores['mIoU'] == 100.0
    assert scores['ensemble']['weight'] == 0.85
    assert '| **mIoU** (1 images) | **100.00** |' in capsys.readouterr().out

    # weight 0.2: 0.2 * 0.55 = 0.11 < 0.8 * 0.9 = 0.72, class 17 everywhere
    run_tool(str(first), str(second), '--out-dir', str(tmp_path / 'ens2'),
             '--weight', '0.2', monkeypatch=monkeypatch)
    fused = np.array(Image.open(tmp_path / 'ens2' /
                                f'{written["ids"][1]}.png'))
    assert (fused == 17).all()


def test_a_missing_counterpart_is_named(tmp_path, monkeypatch):
    (tmp_path / 'a').mkdir(), (tmp_path / 'b').mkdir()
    save_probabilities(np.ones((1, 2, 2)), [0], str(tmp_path / 'a/x.npz'))
    with pytest.raises(SystemExit, match=r'b/x\.npz'):
        run_tool(str(tmp_path / 'a'), str(tmp_path / 'b'), '--out-dir',
                 str(tmp_path / 'o'), monkeypatch=monkeypatch)
