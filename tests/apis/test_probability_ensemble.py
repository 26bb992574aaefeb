"""The two-model probability ensemble, with and without background."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample
from semples_mmseg.apis.probability_ensemble import (ensemble_labels,
                                                     load_probabilities,
                                                     save_probabilities)
from semples_mmseg.engine.hooks import SaveProbabilitiesHook


def test_both_models_with_background():
    first = (np.array([[[0.6, 0.2]], [[0.4, 0.8]]]), np.array([0, 5]))
    second = (np.array([[[0.1, 0.7]], [[0.9, 0.3]]]), np.array([0, 5]))
    # pixel 0: bg .85*.6+.15*.1 = .525, 5: .85*.4+.15*.9 = .475 -> 0
    # pixel 1: bg .85*.2+.15*.7 = .275, 5: .85*.8+.15*.3 = .725 -> 5
    assert ensemble_labels(first, second).tolist() == [[0, 5]]
    # weight 0.3 on the first: pixel 0 bg .18+.07 = .25, 5 .12+.63 = .75;
    # pixel 1 bg .06+.49 = .55, 5 .24+.21 = .45
    assert ensemble_labels(first, second, weight=0.3).tolist() == [[5, 0]]


def test_a_model_without_background_adds_nothing_to_it():
    # the second model predicted classes 5 and 7 only (no background)
    first = (np.array([[[0.6, 0.5]], [[0.4, 0.5]]]), np.array([0, 5]))
    second = (np.array([[[0.3, 0.9]], [[0.7, 0.1]]]), np.array([5, 7]))
    # pixel 0: bg .51, 5 .34+.045 = .385, 7 .105 -> 0
    # pixel 1: bg .425, 5 .425+.135 = .56, 7 .015 -> 5; reading the second
    # model's first channel as background would give bg .56 and label 0
    assert ensemble_labels(first, second).tolist() == [[0, 5]]
    # a class only one model has can win
    # (weight 0.5: pixel 1 has 5 .02+.45 = .47, 9 .48)
    third = (np.array([[[0.04, 0.04]], [[0.96, 0.96]]]), np.array([5, 9]))
    assert ensemble_labels(third, second, weight=0.5).tolist() == [[9, 9]]


def test_files_round_trip_and_full_files_name_every_class(tmp_path):
    prob = np.random.default_rng(0).random((2, 3, 4)).astype(np.float32)
    save_probabilities(prob, [0, 14], str(tmp_path / 'a.npz'))
    back, classes = load_probabilities(str(tmp_path / 'a.npz'))
    np.testing.assert_allclose(back, prob, atol=1e-3)  # stored as float16
    assert classes.tolist() == [0, 14]
    np.savez(tmp_path / 'full.npz', prob=prob)
    assert load_probabilities(str(tmp_path / 'full.npz'))[1].tolist() == \
        [0, 1]
    np.savez(tmp_path / 'bad.npz', prob=prob, classes=[3, 3])
    with pytest.raises(ValueError, match='bad.npz'):
        load_probabilities(str(tmp_path / 'bad.npz'))
    with pytest.raises(ValueError, match='sizes'):
        ensemble_labels((prob, np.array([0, 1])),
                        (prob[:, :2], np.array([0, 1])))


def test_the_hook_keeps_the_predicted_classes(tmp_path):
    logits = torch.zeros(3, 1, 2)
    logits[0, 0, 0] = 2.0  # pixel 0: class 0 (class 1 is never predicted)
    logits[2, 0, 1] = 1.0  # pixel 1: class 2
    sample = SegDataSample(metainfo=dict(img_path='/data/x/2007_000033.jpg'))
    sample.seg_logits = PixelData(data=logits)
    sample.pred_sem_seg = PixelData(data=logits.argmax(0, keepdim=True))
    hook = SaveProbabilitiesHook(out_dir=str(tmp_path / 'probs'))
    hook.before_test(runner=None)
    hook.after_test_iter(runner=None, batch_idx=0, outputs=[sample])
    prob, classes = load_probabilities(
        str(tmp_path / 'probs/2007_000033.npz'))
    assert classes.tolist() == [0, 2]
    e = np.e
    np.testing.assert_allclose(prob[0, 0], [e**2 / (e**2 + 2), 1 / (2 + e)],
                               atol=1e-3)
    np.testing.assert_allclose(prob[1, 0], [1 / (e**2 + 2), e / (2 + e)],
                               atol=1e-3)
