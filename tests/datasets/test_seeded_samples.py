"""SeededSamplesMixin: a sample's draws follow its own seed, not the
process's generators."""
import random

import numpy as np
import torch

from semples_mmseg.datasets.seeded_samples import SeededSamplesMixin
from semples_mmseg.engine.exact_resume.seeded_sampler import SeededIndex


class Draws:
    """A stand-in dataset whose 'pipeline' draws from every generator."""

    def __getitem__(self, idx):
        return (random.random(), float(np.random.rand()),
                float(torch.rand(())), idx, type(idx))


class SeededDraws(SeededSamplesMixin, Draws):
    pass


def test_a_seeded_index_draws_by_its_seed_and_leaves_the_process_alone():
    data = SeededDraws()
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    first = data[SeededIndex(3, sample_seed=7)]
    after_first = (random.random(), float(np.random.rand()))
    random.seed(1)
    np.random.seed(1)
    again = data[SeededIndex(3, sample_seed=7)]
    assert first == again  # same seed, same draws, whatever came before
    assert first[3:] == (3, int)  # the base class gets a plain int
    assert data[SeededIndex(3, sample_seed=8)][:3] != first[:3]
    # the process's own generators continue as if nothing had been drawn
    assert (random.random(), float(np.random.rand())) == after_first


def test_a_plain_index_draws_from_the_process_generators():
    data = SeededDraws()
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    one = data[2]
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    assert data[2] == one and one[3] == 2
    assert data[2] != one  # the generators moved on
