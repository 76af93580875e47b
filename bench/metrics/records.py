"""The long-form metric records' schema: one row per (dataset, series or aggregate, detector, seed, metric).

The evaluator writes these rows to a run's ``metrics.csv``; the report, the
regression gate and baselines read them. Whether a row is one series' value
or an aggregate over the series is an explicit column, ``aggregate``:

- ``""`` (empty): one series' value; ``series`` names it (any name, even ``(mean)``);
- ``mean``: the unweighted mean over series of the defined per-series values;
- ``total``: the sum over series (compute time);
- ``pooled``: computed once over every series' evaluated points pooled together;
- ``corpus``: a corpus-level score over all series (NAB's);
- ``count``: how many series a row has results for (metrics ``series_ok``, ``series_failed``).

Aggregate rows have an empty ``series``. Tables written before the column
existed named the aggregate in the ``series`` column (``(mean)``, ``(corpus)``,
...); :func:`upgrade` reads them.
"""

from __future__ import annotations

import pandas as pd

from bench.errors import DataError

COLUMNS = ["dataset", "series", "aggregate", "detector", "seed", "metric", "value"]
AGGREGATES = ("mean", "pooled", "total", "corpus")
"""The aggregates a table may show (``count`` rows are bookkeeping)."""
KINDS = ("", *AGGREGATES, "count")
PER_SERIES = ""
LEGACY_COLUMNS = ["dataset", "series", "detector", "seed", "metric", "value"]


def upgrade(metrics: pd.DataFrame) -> pd.DataFrame:
    """``metrics`` with the ``aggregate`` column; a table of the previous format (no such column) is converted.

    In that format an aggregate row had its kind in parentheses in the
    ``series`` column (``(mean)``); only there is a name in parentheses read
    as an aggregate.

    >>> old = pd.DataFrame({"dataset": ["d", "d"], "series": ["s", "(mean)"], "detector": "x", "seed": 0,
    ...                     "metric": "f1", "value": [0.5, 0.5]})
    >>> upgrade(old)[["series", "aggregate"]].values.tolist()
    [['s', ''], ['', 'mean']]
    """
    missing = [c for c in LEGACY_COLUMNS if c not in metrics.columns]
    if missing:
        raise DataError(
            f"The metrics table lacks column(s) {', '.join(missing)}; got {', '.join(map(str, metrics.columns))}. "
            "Read a run's metrics.csv with bench.results.read_metrics."
        )
    if "aggregate" in metrics.columns:
        out = metrics.copy()
        out["aggregate"] = out["aggregate"].fillna("").astype(str)
        unknown = sorted(set(out["aggregate"]) - set(KINDS))
        if unknown:
            raise DataError(f"Unknown aggregate kind(s) {unknown} in the metrics table; expected one of {KINDS}.")
        return out[COLUMNS + [c for c in out.columns if c not in COLUMNS]]
    out = metrics.copy()
    out["aggregate"] = kind(metrics)
    out["series"] = out["series"].astype(str).where(out["aggregate"] == PER_SERIES, "")
    return out[COLUMNS + [c for c in out.columns if c not in COLUMNS]]


def kind(metrics: pd.DataFrame) -> pd.Series:
    """Each row's ``aggregate`` (``""`` for a series' own value), also for a table of the previous format."""
    if "aggregate" in metrics.columns:
        return metrics["aggregate"]
    series = metrics["series"].astype(str)
    legacy = series.str.startswith("(") & series.str.endswith(")")
    return series.where(legacy, "(").str[1:-1]


def per_series(metrics: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of single series."""
    return metrics[kind(metrics) == PER_SERIES]
