"""The evaluator: stored scores + labels -> long-form metric records, per series and per dataset.

What is evaluated: the part of each series after its training part
(``series.train_end``), where the detector has not seen the data. Alarms are
``score >= threshold`` with the run's label-free threshold strategy, whose
reference scores are the training part's (warm-up points excluded).

Aggregation, named in the ``aggregate`` column of the records (see
:mod:`bench.metrics.records`; per-series rows have an empty one):

- ``mean``: the unweighted mean over series of each per-series value
  (NaN values, e.g. the delay of a series with no detected event, skipped);
- ``pooled``: for count-based families (point-wise and point-adjusted
  P/R/F1), computed once over all series' evaluated parts together, so
  long series weigh more;
- ``corpus``: NAB's corpus-level score (threshold optimised over all series).

A series with no labelled anomaly in its evaluated part (NAB's
``artificialNoAnomaly``) has no precision, recall, F1, AUC or delay: those values are
recorded as NaN, so ``mean`` is over the series where they are defined,
while its alarms still count as false positives in ``pooled`` and NAB.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import registry
from bench.metrics import catalog
from bench.metrics.catalog import COST, THRESHOLD, MetricFamily, SeriesEval
from bench.metrics.records import COLUMNS
from bench.metrics.thresholds import DEFAULT, ThresholdStrategy
from bench.records import TaskRecord
from bench.series import Series


@dataclass(frozen=True)
class Scored:
    """One row's scores on one series for one seed, as the evaluator receives them.

    ``row`` is the table label (``lstm``, ``lstm+likelihood``); ``record`` the
    raw task's record (its costs are reported); ``n_warmup`` the points the
    detector could not score yet (left out of the threshold's training scores).
    ``values``: the per-series values already computed for these scores under
    this evaluation's settings (by the worker that ran the task,
    :class:`PerSeries`), or None to compute them here.
    """

    row: str
    seed: int
    series: Series
    scores: np.ndarray
    n_warmup: int
    record: TaskRecord
    values: Mapping[str, float] | None = None


def family_applies(fam: MetricFamily, dataset: str) -> bool:
    """Whether ``fam`` gives values on ``dataset`` (:func:`bench.registry.family_applies`)."""
    return registry.family_applies(fam.key, fam.dataset_specific, dataset)


@dataclass(frozen=True)
class PerSeries:
    """The settings the per-series metric values depend on besides the scores: threshold strategy, families.

    A worker that ran a task computes its raw scores' per-series values with
    these settings (:func:`series_values`) and returns them in the task's
    record with :meth:`settings`; the last stage reuses them for the raw row
    when its own settings give the same string, and computes them otherwise
    (post-processed rows, another threshold or metric set). Corpus-level and
    pooled values always come from the last stage, which sees every series.
    """

    strategy: ThresholdStrategy
    families: tuple[str, ...]

    def settings(self) -> str:
        """The exact saved form: ``<threshold spec>|<family,family,...>|<metrics code version>``."""
        return f"{self.strategy.spec()}|{','.join(self.families)}|{metrics_code_version()}"

    def values(self, series: Series, scores: np.ndarray, n_warmup: int) -> dict[str, float]:
        """The per-series values of ``scores`` on ``series`` (:func:`series_values`)."""
        ev, threshold = series_eval(series, scores, n_warmup, self.strategy)
        return series_values(series.dataset, ev, threshold, catalog.resolve(list(self.families)), family_applies)


def series_eval(
    series: Series, scores: np.ndarray, n_warmup: int, strategy: ThresholdStrategy
) -> tuple[SeriesEval, float]:
    """The evaluated part of one series, with alarms at ``strategy``'s threshold."""
    te = series.train_end
    train_scores = scores[min(n_warmup, te) : te]
    test_scores = scores[te:]
    labels = series.labels[te:]
    threshold, alarms = strategy.alarms(test_scores, train_scores, labels if strategy.oracle else None)
    ts = None if series.timestamps is None else series.timestamps[te:]
    return SeriesEval(labels, test_scores, alarms, ts), threshold


@functools.cache
def metrics_code_version() -> str:
    """SHA-256 (16 hex digits) of the metric code's sources (``bench/metrics/*.py`` and this module).

    Part of :meth:`PerSeries.settings`: values a worker computed with other metric code are computed again.
    """
    here = Path(__file__).resolve()
    h = hashlib.sha256()
    for path in [here, *sorted((here.parent / "metrics").glob("*.py"))]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def series_values(
    dataset: str,
    ev: SeriesEval,
    threshold: float,
    families: list[MetricFamily],
    applies: Callable[[MetricFamily, str], bool],
) -> dict[str, float]:
    """One series' metric values (the threshold, then each applicable family's), NaN where the series has no anomaly.

    The one place a per-series value is computed, in a worker or in the last stage, so both give the same floats.
    """
    values: dict[str, float] = {"threshold": threshold}
    for fam in families:
        if fam.compute is not None and applies(fam, dataset):
            values.update(fam.compute(ev))
    if not ev.y_true.any():
        always = {THRESHOLD.name, *(m for f in families for m in f.defined_without_anomalies)}
        values = {m: (v if m in always else float("nan")) for m, v in values.items()}
    return values


def _pool(evals: list[SeriesEval]) -> SeriesEval:
    """Concatenate evaluated parts with one normal, unflagged separator point between series.

    The separator keeps an event at the end of one series from merging with
    one at the start of the next; it is a true negative and changes no count
    that precision, recall or F1 use.
    """
    sep_t, sep_p = np.zeros(1, np.int8), np.zeros(1, bool)
    y_true = np.concatenate([x for e in evals for x in (e.y_true, sep_t)])
    y_pred = np.concatenate([x for e in evals for x in (e.y_pred, sep_p)])
    y_score = np.concatenate([x for e in evals for x in (e.y_score, np.zeros(1))])
    return SeriesEval(y_true, y_score, y_pred, None)


def evaluate(
    items: list[Scored],
    families: list[MetricFamily],
    *,
    strategy: ThresholdStrategy = DEFAULT,
    applies: Callable[[MetricFamily, str], bool] = lambda fam, dataset: not fam.dataset_specific,
    incomplete: set[tuple[str, str, int]] | frozenset[tuple[str, str, int]] = frozenset(),
) -> pd.DataFrame:
    """Long-form metric records for every scored item, then the aggregates per (dataset, row, seed).

    ``applies(family, dataset)`` says whether a family is computed on a
    dataset (dataset-specific families such as NAB's score only where the
    dataset's registry entry lists them). Corpus-level families are not
    computed for the ``(dataset, row, seed)`` groups in ``incomplete`` (some
    series failed).
    """
    per_series = [f for f in families if f.compute is not None]
    totals_of = [m.name for m in COST if m.over_series == "total"]
    rows: list[tuple[Any, ...]] = []
    groups: dict[tuple[str, str, int], list[tuple[Series, SeriesEval, np.ndarray, float]]] = defaultdict(list)
    for it in items:
        s = it.series
        ev, threshold = series_eval(s, it.scores, it.n_warmup, strategy)
        groups[(s.dataset, it.row, it.seed)].append((s, ev, it.scores, threshold))
        if it.values is not None:
            values = dict(it.values)
        else:
            values = series_values(s.dataset, ev, threshold, families, applies)
        values.update({m.name: float(v) for m in COST if (v := getattr(it.record, m.name, None)) is not None})
        rows.extend((s.dataset, s.name, "", it.row, it.seed, m, float(v)) for m, v in values.items())
    frame = pd.DataFrame(rows, columns=COLUMNS)

    agg_rows: list[tuple[Any, ...]] = []
    for (dataset, det, seed), group in groups.items():
        part = frame[(frame.dataset == dataset) & (frame.detector == det) & (frame.seed == seed)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN means stay NaN
            means = part.groupby("metric", sort=False)["value"].agg(
                lambda v: np.nanmean(v) if v.notna().any() else np.nan
            )
        agg_rows.extend((dataset, "", "mean", det, seed, m, float(v)) for m, v in means.items())
        totals = part[part.metric.isin(totals_of)].groupby("metric")["value"].sum()
        agg_rows.extend((dataset, "", "total", det, seed, m, float(v)) for m, v in totals.items())
        pooled = _pool([ev for _, ev, _, _ in group])
        for fam in per_series:
            if fam.poolable and applies(fam, dataset):
                agg_rows.extend((dataset, "", "pooled", det, seed, m, float(v)) for m, v in fam.compute(pooled).items())  # type: ignore[misc]
        for fam in families:
            if fam.corpus is not None and applies(fam, dataset) and (dataset, det, seed) not in incomplete:
                corpus = [(s, scores, thr) for s, _, scores, thr in group]
                agg_rows.extend((dataset, "", "corpus", det, seed, m, float(v)) for m, v in fam.corpus(corpus))
    return pd.concat([frame, pd.DataFrame(agg_rows, columns=COLUMNS)], ignore_index=True)
