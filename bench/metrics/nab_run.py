"""NAB scores inside ordinary runs: calibrate each series' scores, score the corpus, add published rows.

NAB picks one threshold for the whole corpus, so it assumes every series'
scores share a scale (NAB's own detectors output likelihoods in [0, 1]).
Our detectors' scores do not (an LSTM error on one series is not comparable
with one on another), so before NAB scoring each series' scores are mapped
monotonically into [0, 1) by

    c = z / (z + t),  z = max(score - m, 0),  t = threshold - m,

where ``threshold`` is the run's label-free threshold for that series and
``m`` the series' lowest score: the label-free threshold lands on 0.5 in
every series, order within a series is kept, and no label is read. NAB then
optimises its corpus threshold on these calibrated scores. The NAB scorer
itself (:mod:`bench.metrics.nab`) is exact on whatever scores it is given;
``bench evaluate --scores`` scores external files without any calibration.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.metrics.nab import NabSeries, nab_corpus, published_scores
from bench.series import Series

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def calibrate(scores: NDArray[np.float64], threshold: float) -> NDArray[np.float64]:
    """Map scores into [0, 1) so that ``threshold`` becomes 0.5 (see the module docstring)."""
    m = float(scores.min()) if scores.size else 0.0
    z = np.maximum(scores - m, 0.0)
    t = threshold - m
    if not t > 0:  # threshold at or below every score: all alarms; keep the order, centre at 0.5
        return 0.5 + 0.5 * z / (z + 1.0)
    return z / (z + t)


def nab_rows(items: Iterable[tuple[Series, NDArray[np.float64], float]]) -> list[tuple[str, float]]:
    """``(metric, value)`` rows of NAB's three normalised scores (and raw score, threshold) for one detector.

    ``items`` holds, per series, the Series, its full-length scores and its label-free threshold.
    """
    corpus = [NabSeries(calibrate(scores, thr), list(s.events), s.train_end) for s, scores, thr in items]
    rows: list[tuple[str, float]] = []
    for profile, res in nab_corpus(corpus).items():
        rows += [
            (f"nab_{profile}", float(res.normalised_score)),
            (f"nab_{profile}_raw", float(res.raw_score)),
            (f"nab_{profile}_threshold", float(res.threshold)),
        ]
    return rows


def published_rows() -> pd.DataFrame:
    """NAB's published scoreboard as (dataset, detector, metric, value) rows, detectors marked ``(published)``."""
    rows = [
        ("nab", f"{det} (published)", f"nab_{profile}", value)
        for det, profiles in sorted(published_scores().items())
        for profile, value in profiles.items()
    ]
    return pd.DataFrame(rows, columns=["dataset", "detector", "metric", "value"])
