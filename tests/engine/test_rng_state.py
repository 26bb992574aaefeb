"""RNG capture / restore / seeding round trips."""
import pickle
import random

import numpy as np
import torch

from semples_mmseg.engine.exact_resume.rng_state import (capture_rng_state,
                                                        preserved_rng,
                                                        restore_rng_state,
                                                        seeded_rng)


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def test_restore_repeats_the_draws_and_state_pickles():
    state = pickle.loads(pickle.dumps(capture_rng_state()))
    first = draws()
    restore_rng_state(state)
    assert draws() == first


def test_seeded_and_preserved_blocks_leave_the_outer_stream():
    state = capture_rng_state()
    expected = draws()
    restore_rng_state(state)
    with seeded_rng(7):
        inner = draws()
    with preserved_rng():
        draws()
    assert draws() == expected
    with seeded_rng(7):
        assert draws() == inner
