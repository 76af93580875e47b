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

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.metrics.nab import NabSeries, nab_corpus
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


PUBLISHED_COLUMNS = ["dataset", "detector", "metric", "value", "low", "high", "note", "source"]
"""The columns of :func:`published_rows`: ``low``/``high`` a published range (NaN where none), ``note`` the
scoreboard's footnote of that row, ``source`` where the numbers come from (with NAB's commit)."""


def published_rows() -> pd.DataFrame:
    """NAB's published scoreboard (its README's table) as rows, in the scoreboard's order and under its names.

    The values are the scoreboard's own, as printed (one decimal): Random is 11.0, the mean over seeds (the
    range 7.95 to 16.83 goes to ``low``/``high`` and the row's note), not the 16.8 of NAB's
    ``results/final_results.json``. Numenta HTM is published as a range only: its ``value`` is NaN.
    """
    import json
    from importlib import resources

    board = json.loads(resources.files("bench.metrics").joinpath("data/nab_scoreboard.json").read_text())
    source = f"{board['source']} at commit {board['commit'][:7]}"
    rows = []
    for row in board["rows"]:
        ranges = row.get("ranges", [None] * len(board["profiles"]))
        for profile, score, spread in zip(board["profiles"], row["scores"], ranges, strict=True):
            lo, hi = score if isinstance(score, list) else spread or (math.nan, math.nan)
            value = math.nan if isinstance(score, list) else float(score)
            rows.append(("nab", row["name"], f"nab_{profile}", value, lo, hi, row.get("note", ""), source))
    return pd.DataFrame(rows, columns=PUBLISHED_COLUMNS)
