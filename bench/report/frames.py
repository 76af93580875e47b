"""Reshaping long-form metric records (``dataset, series, detector, seed, metric, value``) for the report.

Rows whose ``series`` is ``(mean)``, ``(pooled)``, ``(total)`` or
``(corpus)`` are aggregates written by the evaluator; every
other row is one series. The functions here pick and reshape; they compute
nothing but means over seeds and over series.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import pandas as pd

from bench.errors import DataError

COLUMNS = ("dataset", "series", "detector", "seed", "metric", "value")
AGGREGATES = ("mean", "pooled", "total", "corpus")


def check_frame(metrics: pd.DataFrame, what: str = "metrics") -> None:
    """Raise :class:`DataError` unless ``metrics`` has the long-form columns."""
    missing = [c for c in COLUMNS if c not in metrics.columns]
    if missing:
        raise DataError(
            f"The {what} table lacks column(s) {', '.join(missing)}; got {', '.join(map(str, metrics.columns))}. "
            "Read a run's metrics.csv with bench.results.read_metrics."
        )


def is_aggregate(series: pd.Series) -> pd.Series:
    """Boolean mask of the evaluator's aggregate rows: ``(mean)``, ``(pooled)``, ``(total)``, ``(corpus)``, ``(count)``.

    Every aggregate's name is in parentheses (a series name from a file never is).
    """
    s = series.astype(str)
    return s.str.startswith("(") & s.str.endswith(")")


def series_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """Only the per-series rows."""
    return metrics[~is_aggregate(metrics["series"])]


def series_names(metrics: pd.DataFrame, dataset: str) -> list[str]:
    """The series of ``dataset`` that have per-series rows, sorted."""
    rows = series_rows(metrics)
    return sorted(rows.loc[rows.dataset == dataset, "series"].astype(str).unique())


def detectors(metrics: pd.DataFrame, dataset: str | None = None) -> list[str]:
    """Detector names in order of first appearance (the run's order)."""
    rows = metrics if dataset is None else metrics[metrics.dataset == dataset]
    return list(dict.fromkeys(rows["detector"].astype(str)))


def per_series(
    metrics: pd.DataFrame,
    dataset: str,
    metric: str,
    *,
    detectors: Collection[str] | None = None,
    series: Collection[str] | None = None,
) -> pd.DataFrame:
    """Series x detector matrix of ``metric``, each cell the mean over seeds (NaN where undefined on every seed).

    Rows are sorted by series name; columns follow the run's detector order.
    """
    rows = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    rows = series_rows(rows)
    if detectors is not None:
        rows = rows[rows.detector.isin(list(detectors))]
    if series is not None:
        rows = rows[rows.series.isin(list(series))]
    if rows.empty:
        return pd.DataFrame(dtype=float)
    wide = rows.groupby(["series", "detector"], sort=False)["value"].mean().unstack("detector")
    order = [d for d in (detectors or dict.fromkeys(rows.detector)) if d in wide.columns]
    return wide.loc[sorted(wide.index), order]


def per_seed(
    metrics: pd.DataFrame,
    dataset: str,
    metric: str,
    aggregate: str,
    *,
    series: Collection[str] | None = None,
) -> pd.DataFrame:
    """Detector x seed matrix of one aggregate of ``metric`` over the series of ``dataset``.

    ``aggregate`` is ``"mean"`` (unweighted mean over series of the defined
    per-series values), ``"total"`` (sum over series), or ``"pooled"`` /
    ``"corpus"``, which only the evaluator can compute and are read from its
    aggregate rows. Means and totals are computed from the per-series rows
    (over ``series`` when given, e.g. one NAB category) and fall back to the
    evaluator's ``(mean)`` / ``(total)`` rows when a frame has no per-series
    rows (an aggregate-only baseline). Empty when nothing matches.
    """
    if aggregate not in AGGREGATES:
        raise DataError(f"Unknown aggregate {aggregate!r}; choose one of {', '.join(AGGREGATES)}.")
    rows = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    per = rows[~is_aggregate(rows["series"])]
    if series is not None:
        per = per[per.series.isin(list(series))]
    if aggregate in ("mean", "total") and not per.empty:
        grouped = per.groupby(["detector", "seed"], sort=False)["value"]
        out = grouped.mean() if aggregate == "mean" else grouped.sum(min_count=1)
    elif series is None:
        out = rows[rows.series == f"({aggregate})"].groupby(["detector", "seed"], sort=False)["value"].mean()
    else:  # a subset of series: pooled and corpus values cannot be recomputed from metrics
        return pd.DataFrame(dtype=float)
    return out.unstack("seed") if len(out) else pd.DataFrame(dtype=float)


def available_aggregates(metrics: pd.DataFrame, dataset: str, metric: str) -> list[str]:
    """Which aggregates of ``metric`` this frame can give for ``dataset`` (``mean`` if it has per-series rows)."""
    rows = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    names = set(rows["series"].astype(str))
    out = [a for a in AGGREGATES if f"({a})" in names]
    if (~is_aggregate(rows["series"])).any():
        out = sorted({*out, "mean", "total"}, key=AGGREGATES.index)
    return out


def default_aggregate(metrics: pd.DataFrame, dataset: str, metric: str) -> str | None:
    """The aggregate a table shows for ``metric``: totals for costs, the corpus score when that is all there is,
    else the mean over series; ``None`` when the metric is absent."""
    have = available_aggregates(metrics, dataset, metric)
    if not have:
        return None
    if metric.endswith("_seconds") and "total" in have:
        return "total"
    if "mean" in have:
        return "mean"
    return have[0]


def group_series(names: Iterable[str], groups: Mapping[str, str]) -> dict[str, list[str]]:
    """Series names by group (only those ``groups`` maps), groups in sorted order."""
    out: dict[str, list[str]] = {}
    for name in names:
        if name in groups:
            out.setdefault(groups[name], []).append(name)
    return dict(sorted(out.items()))


def path_groups(names: Iterable[str]) -> dict[str, str]:
    """Each series name mapped to its first path component (NAB's category: ``realKnownCause/nyc_taxi``).

    Names without a ``/`` are left out.

    >>> path_groups(["realKnownCause/nyc_taxi", "artificialWithAnomaly/art_load", "flat"])
    {'realKnownCause/nyc_taxi': 'realKnownCause', 'artificialWithAnomaly/art_load': 'artificialWithAnomaly'}
    """
    return {n: n.split("/", 1)[0] for n in names if "/" in n}


def one_series(metrics: pd.DataFrame, dataset: str, series: str, columns: Collection[str]) -> pd.DataFrame:
    """Detector x metric values of one series (means over seeds), only ``columns`` the run has, in that order."""
    rows = metrics[(metrics.dataset == dataset) & (metrics.series == series) & metrics.metric.isin(list(columns))]
    if rows.empty:
        return pd.DataFrame(dtype=float)
    wide = rows.groupby(["detector", "metric"], sort=False)["value"].mean().unstack("metric")
    return wide[[c for c in columns if c in wide.columns]]
