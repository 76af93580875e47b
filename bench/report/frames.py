"""Reshaping long-form metric records (:mod:`bench.metrics.records`) for the report, compare and baselines.

Rows whose ``aggregate`` column is set (``mean``, ``pooled``, ``total``,
``corpus``, ``count``) are aggregates written by the evaluator; every other
row is one series, whatever its name. The functions here pick and reshape;
they compute nothing but means over seeds and over series.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import NamedTuple

import pandas as pd

from bench.errors import DataError
from bench.metrics import catalog
from bench.metrics.records import AGGREGATES, LEGACY_COLUMNS, kind


def check_frame(metrics: pd.DataFrame, what: str = "metrics") -> None:
    """Raise :class:`DataError` unless ``metrics`` has the long-form columns."""
    missing = [c for c in LEGACY_COLUMNS if c not in metrics.columns]
    if missing:
        raise DataError(
            f"The {what} table lacks column(s) {', '.join(missing)}; got {', '.join(map(str, metrics.columns))}. "
            "Read a run's metrics.csv with bench.results.read_metrics."
        )


def distinct(column: pd.Series) -> list[str]:
    """The distinct values of ``column`` as text, in order of first appearance.

    Through ``unique()``: a set or ``dict.fromkeys`` over a column of 10^5 rows iterates it in Python
    (and pyarrow strings one box at a time), which cost seconds in a large run's report.
    """
    return list(dict.fromkeys(str(v) for v in column.unique()))


def series_rows(metrics: pd.DataFrame) -> pd.DataFrame:
    """Only the per-series rows."""
    return metrics[kind(metrics) == ""]


def series_names(metrics: pd.DataFrame, dataset: str) -> list[str]:
    """The series of ``dataset`` that have per-series rows, sorted."""
    rows = series_rows(metrics)
    return sorted(rows.loc[rows.dataset == dataset, "series"].astype(str).unique())


def detectors(metrics: pd.DataFrame, dataset: str | None = None) -> list[str]:
    """Detector names in order of first appearance (the run's order)."""
    rows = metrics if dataset is None else metrics[metrics.dataset == dataset]
    return distinct(rows["detector"])


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
    evaluator's ``mean`` / ``total`` rows when a frame has no per-series
    rows (an aggregate-only baseline). Empty when nothing matches.
    """
    if aggregate not in AGGREGATES:
        raise DataError(f"Unknown aggregate {aggregate!r}; choose one of {', '.join(AGGREGATES)}.")
    rows = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    agg = kind(rows)
    per = rows[agg == ""]
    if series is not None:
        per = per[per.series.isin(list(series))]
    if aggregate in ("mean", "total") and not per.empty:
        grouped = per.groupby(["detector", "seed"], sort=False)["value"]
        out = grouped.mean() if aggregate == "mean" else grouped.sum(min_count=1)
    elif series is None:
        out = rows[agg == aggregate].groupby(["detector", "seed"], sort=False)["value"].mean()
    else:  # a subset of series: pooled and corpus values cannot be recomputed from metrics
        return pd.DataFrame(dtype=float)
    return out.unstack("seed") if len(out) else pd.DataFrame(dtype=float)


def available_aggregates(metrics: pd.DataFrame, dataset: str, metric: str) -> list[str]:
    """Which aggregates of ``metric`` this frame can give for ``dataset`` (``mean`` if it has per-series rows)."""
    rows = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    kinds = set(kind(rows))
    out = [a for a in AGGREGATES if a in kinds]
    if "" in kinds:
        out = sorted({*out, "mean", "total"}, key=AGGREGATES.index)
    return out


def default_aggregate(metrics: pd.DataFrame, dataset: str, metric: str) -> str | None:
    """The aggregate a table shows for ``metric``: the catalogue's (:attr:`~bench.metrics.catalog.Metric.over_series`)
    when the frame has it, else the mean over series, else whatever there is; ``None`` when the metric is absent."""
    have = available_aggregates(metrics, dataset, metric)
    if not have:
        return None
    if catalog.metric(metric).over_series in have:
        return catalog.metric(metric).over_series
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
    rows = series_rows(metrics)
    rows = rows[(rows.dataset == dataset) & (rows.series == series) & rows.metric.isin(list(columns))]
    if rows.empty:
        return pd.DataFrame(dtype=float)
    wide = rows.groupby(["detector", "metric"], sort=False)["value"].mean().unstack("metric")
    return wide[[c for c in columns if c in wide.columns]]


def completeness(metrics: pd.DataFrame, dataset: str | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(dataset, detector): (series ok, series in all)}`` for rows with failed series, summed over seeds.

    Read from the evaluator's ``count`` rows (``series_ok``, ``series_failed``); a table renders the mark
    (``lstm (57/58)``) from these numbers, never from the detector's name.
    """
    rows = metrics[kind(metrics) == "count"]
    if dataset is not None:
        rows = rows[rows.dataset == dataset]
    if rows.empty:
        return {}
    per_row = rows.pivot_table(index=["dataset", "detector"], columns="metric", values="value", aggfunc="sum")
    out = {}
    for (ds, det), r in per_row.iterrows():
        ok, failed = int(r.get("series_ok", 0)), int(r.get("series_failed", 0))
        if failed:
            out[(str(ds), str(det))] = (ok, ok + failed)
    return out


class SeedChoice(NamedTuple):
    """What :func:`complete_seeds` kept: the records, and per ``(dataset, detector)`` the seeds set aside."""

    metrics: pd.DataFrame
    left_out: dict[tuple[str, str], dict[int, tuple[int, int]]]  # seed -> (series ok, in all), row kept others
    partial: dict[tuple[str, str], dict[int, tuple[int, int]]]  # rows where no seed is complete (all kept)


def complete_seeds(metrics: pd.DataFrame) -> SeedChoice:
    """The records over complete seeds only: a row's seeds with failed series are left out where it has a
    complete seed, so a mean over seeds or its spread never comes from a missing series.

    Which seed is complete is read from the evaluator's ``count`` rows (``series_failed``), which are kept
    whole (a row's ``(k/n)`` mark still counts every failure). A row with no complete seed keeps all of them
    (its means are over the series that did not fail) and is listed in ``partial``: it has no spread over seeds.
    """
    agg = kind(metrics)
    counts = metrics[agg == "count"]
    if counts.empty:
        return SeedChoice(metrics, {}, {})
    per_seed = counts.pivot_table(
        index=["dataset", "detector", "seed"], columns="metric", values="value", aggfunc="sum"
    ).fillna(0)
    if "series_failed" not in per_seed:
        return SeedChoice(metrics, {}, {})
    ok = per_seed["series_ok"] if "series_ok" in per_seed else pd.Series(0.0, index=per_seed.index)
    bad: dict[tuple[str, str], dict[int, tuple[int, int]]] = {}
    for (ds, det, seed), failed in per_seed["series_failed"].items():
        if failed > 0:
            n_ok = int(ok[(ds, det, seed)])
            bad.setdefault((str(ds), str(det)), {})[int(seed)] = (n_ok, n_ok + int(failed))
    seeds = metrics[agg != "count"].groupby(["dataset", "detector"])["seed"].unique()
    left_out, partial = {}, {}
    drop = pd.Series(False, index=metrics.index)
    for (ds, det), failed_seeds in bad.items():
        if set(seeds.get((ds, det), ())) - set(failed_seeds):
            left_out[(ds, det)] = failed_seeds
            drop |= (metrics.dataset == ds) & (metrics.detector == det) & metrics.seed.isin(list(failed_seeds))
        else:
            partial[(ds, det)] = failed_seeds
    return SeedChoice(metrics[~drop | (agg == "count")], left_out, partial)


def seed_note(row: str, seeds: Mapping[int, tuple[int, int]]) -> str:
    """``lstm: seed 1 (2 of 3 series), seed 4 (0 of 3 series)``: a row's incomplete seeds, for a note."""
    return f"{row}: " + ", ".join(f"seed {s} ({ok} of {n} series)" for s, (ok, n) in sorted(seeds.items()))


def contenders_first(detectors: Iterable[str], baselines: Collection[str]) -> list[str]:
    """Detectors in their order, contenders before the sanity baselines (``baselines``: exact row names).

    >>> contenders_first(["random", "lstm", "null", "zscore"], {"random", "null"})
    ['lstm', 'zscore', 'random', 'null']
    """
    names = list(detectors)
    return [d for d in names if d not in baselines] + [d for d in names if d in baselines]
