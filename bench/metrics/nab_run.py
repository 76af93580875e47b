"""NAB scores inside ordinary runs: score each detector's corpus with NAB's scorer, add published rows.

The scores go to NAB's scorer (:mod:`bench.metrics.nab`) unchanged. NAB picks
one threshold for the whole corpus, so it assumes the series' scores share a
scale: NAB's own detectors output likelihoods in [0, 1], and ours are
scale-free by construction (z-scores, errors in units of the training part's
standard deviation, isolation depths), so no per-series rescaling is applied.

One step of NAB's pipeline is kept: NAB writes detector scores to its results
files with 12 significant digits and its scorer reads those files back, so
scores are rounded the same way here (:func:`as_nab_stores`). It matters where
scores saturate: NAB's windowed Gaussian gives 1 - 1e-13 where NAB's file says
1.0, and its optimal threshold is exactly 1.0. With the rounding, our
``gaussian`` run reproduces NAB's windowed Gaussian scores (39.650, 20.868,
47.410); without it, 40.135, 23.944, 47.734.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.metrics.nab import NabSeries, nab_corpus, published_scores
from bench.series import Series


def as_nab_stores(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Scores rounded to 12 significant digits, as NAB's results files hold them (``"%.12g"``).

    >>> as_nab_stores(np.array([1 - 1e-13, 0.1234567890123456])).tolist()
    [1.0, 0.123456789012]
    """
    values = np.asarray(scores, dtype=np.float64).tolist()
    return np.array([float(f"{v:.12g}") for v in values], dtype=np.float64)  # twice as fast as np.char.mod


def nab_rows(items: Iterable[tuple[Series, NDArray[np.float64], float]]) -> list[tuple[str, float]]:
    """``(metric, value)`` rows of NAB's three normalised scores (and raw score, threshold) for one detector.

    ``items`` holds, per series, the Series, its full-length scores and its label-free threshold
    (unused: NAB optimises its own corpus threshold).
    """
    corpus = [NabSeries(as_nab_stores(scores), list(s.events), s.train_end) for s, scores, _ in items]
    rows: list[tuple[str, float]] = []
    for profile, res in nab_corpus(corpus).items():
        rows += [
            (f"nab_{profile}", float(res.normalised_score)),
            (f"nab_{profile}_raw", float(res.raw_score)),
            (f"nab_{profile}_threshold", float(res.threshold)),
        ]
    return rows


def published_rows() -> pd.DataFrame:
    """NAB's published scoreboard as (dataset, detector, metric, value) rows (tables mark them as published)."""
    rows = [
        ("nab", det, f"nab_{profile}", value)
        for det, profiles in sorted(published_scores().items())
        for profile, value in profiles.items()
    ]
    return pd.DataFrame(rows, columns=["dataset", "detector", "metric", "value"])
