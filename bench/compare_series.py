"""The per-series evidence behind a compared row: paired values, float rounding snapped to 0, the paired test's reach.

:func:`bench.compare.compare` keeps, for each row that has per-series values,
each series' value on both sides (mean over seeds) and the change
(:data:`SERIES_COLUMNS`); :func:`movers` picks the series that moved most each
way, so that a mean that barely moved cannot hide series that dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.metrics import catalog

if TYPE_CHECKING:
    from bench.compare import Comparison

SERIES_COLUMNS = ("dataset", "detector", "metric", "series", "base", "new", "change")
""":attr:`Comparison.series`: one row per (compared row, series), each side's value its mean over seeds."""

_EPS = 1e-9
"""Relative size under which a difference or a spread is float rounding (``0.1017 ± 1.7e-17``), kept as exactly 0."""


def snap(value: float, scale: float = 1.0) -> float:
    """``value``, or exactly 0.0 where it is float rounding next to ``scale``.

    >>> snap(1.7e-17), snap(0.02), snap(1e-7, scale=1e3)
    (0.0, 0.02, 0.0)
    """
    return 0.0 if abs(value) <= _EPS * max(1.0, abs(scale)) else value


def can_reject(n_pairs: int, alpha: float) -> bool:
    """Whether the paired test on ``n_pairs`` series can reject at ``alpha`` at all (its smallest p is 2 / 2**n).

    >>> can_reject(5, 0.05), can_reject(6, 0.05), can_reject(5000, 0.05)
    (False, True, True)
    """
    return n_pairs > 0 and 2.0 ** (1 - int(n_pairs)) <= alpha


def movers(comparison: Comparison, k: int = 3) -> pd.DataFrame:
    """Per gated row, the ``k`` series that got most worse and the ``k`` that got most better.

    Only series whose value moved by more than the tolerance count. Columns: :data:`SERIES_COLUMNS`, ``worse``
    (this series got worse; "worse" follows the metric's direction) and, per row, ``n_worse``, ``n_better`` and
    ``n_series`` (all such series, not only the ``k`` shown). Rows in table order, the worst first.
    """
    columns = [*SERIES_COLUMNS, "worse", "n_worse", "n_better", "n_series"]
    gated = comparison.table[comparison.table.gated]
    parts = []
    for r in gated.itertuples(index=False):
        s = comparison.series
        s = s[(s.dataset == r.dataset) & (s.detector == r.detector) & (s.metric == r.metric)]
        up = bool(catalog.metric(r.metric).higher_is_better)
        better_by = s.change if up else -s.change
        worse, better = s[better_by < -comparison.tolerance], s[better_by > comparison.tolerance]
        if worse.empty and better.empty:
            continue
        shown = pd.concat(
            [
                worse.assign(_by=-better_by[worse.index]).nlargest(k, "_by").assign(worse=True),
                better.assign(_by=better_by[better.index]).nlargest(k, "_by").assign(worse=False),
            ]
        )
        parts.append(shown.assign(n_worse=len(worse), n_better=len(better), n_series=len(s)).drop(columns="_by"))
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def pair(b_ser: pd.DataFrame | None, n_ser: pd.DataFrame | None, det: str) -> pd.DataFrame:
    """Series x (b, n): ``det``'s per-series values on both sides, where both are defined (empty without any)."""
    if b_ser is None or n_ser is None or det not in b_ser.columns or det not in n_ser.columns:
        return pd.DataFrame(columns=["b", "n"], dtype=float)
    return pd.concat([b_ser[det].rename("b"), n_ser[det].rename("n")], axis=1).dropna()


def series_frame(ds: str, det: str, metric: str, paired: pd.DataFrame) -> pd.DataFrame:
    """:data:`SERIES_COLUMNS` rows of one compared row, from its :func:`pair`."""
    keys = {"dataset": ds, "detector": det, "metric": metric, "series": paired.index.astype(str)}
    return pd.DataFrame({**keys, "base": paired.b.to_numpy(), "new": paired.n.to_numpy(), "change": changes(paired)})


def changes(paired: pd.DataFrame) -> NDArray[np.float64]:
    """Per series, new - base, with float rounding snapped to 0 (so it is no evidence of a change either)."""
    b, n = paired.b.to_numpy(dtype=float), paired.n.to_numpy(dtype=float)
    return np.array([snap(y - x, max(abs(x), abs(y))) for x, y in zip(b, n, strict=True)], dtype=float)
