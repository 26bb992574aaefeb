"""Statistics over seeds for the ablation tables: mean, standard deviation,
and the paired difference to a reference row with a Student-t interval."""
import math
from typing import Dict, Sequence

import numpy as np
from scipy import stats


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """``mean`` and sample standard deviation ``std`` (ddof 1; NaN for one
    value) of ``values``."""
    a = np.asarray(values, np.float64)
    if a.size == 0:
        raise ValueError('mean_std of no values')
    return dict(mean=float(a.mean()),
                std=float(a.std(ddof=1)) if a.size > 1 else float('nan'),
                n=int(a.size))


def paired_difference(row: Sequence[float], reference: Sequence[float],
                      confidence: float = 0.95) -> Dict[str, float]:
    """Per-seed differences ``row - reference`` and their mean with a
    Student-t ``confidence`` interval: mean +- t_{n-1} * sd / sqrt(n).

    Both sequences are in seed order (the same seeds). With one seed the
    interval is NaN (no spread to estimate).
    """
    a = np.asarray(row, np.float64)
    b = np.asarray(reference, np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f'paired_difference needs two equal-length value '
                         f'lists, got {a.shape} and {b.shape}')
    d = a - b
    n = d.size
    mean = float(d.mean())
    if n < 2:
        return dict(diffs=d.tolist(), mean=mean, std=float('nan'),
                    low=float('nan'), high=float('nan'), n=n)
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return dict(diffs=d.tolist(), mean=mean, std=sd, low=mean - half,
                high=mean + half, n=n)
