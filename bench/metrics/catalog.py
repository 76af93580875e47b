"""The metric catalogue: names a user can pass to ``--metrics``, each computing a few values per series.

A catalogue entry adapts one metric family to the evaluator: it receives a
:class:`SeriesEval` (the evaluated part of one series: labels, scores, the
alarms at the run's label-free threshold, timestamps) and returns a flat
``{metric_name: value}`` dict. Families that read the labels to choose a
threshold are marked ``oracle`` and their metric names start with ``oracle_``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import UnknownNameError
from bench.metrics.affiliation import affiliation_pr
from bench.metrics.auc import auc_pr, auc_roc
from bench.metrics.event import event_prf
from bench.metrics.latency import alarm_stats, detection_delay
from bench.metrics.pa_k import pa_k_auc, pa_k_prf
from bench.metrics.point import point_adjusted_prf, point_prf
from bench.metrics.range_based import range_prf
from bench.metrics.thresholds import BestF1Oracle
from bench.metrics.vus import DEFAULT_WINDOW, vus

PA_K = 20.0
"""The K (percent of an event's points that must be flagged) of the reported ``pa_k_f1``."""


@dataclass(frozen=True)
class SeriesEval:
    """What a metric family sees of one series (its evaluated part, after the training part)."""

    y_true: NDArray[np.int8]
    y_score: NDArray[np.float64]
    y_pred: NDArray[np.bool_]  # alarms at the label-free threshold
    timestamps: NDArray[np.datetime64] | None = None


@dataclass(frozen=True)
class Column:
    """A summary-table column: a metric, its header, its place among all columns, the aggregate it shows."""

    metric: str
    header: str
    order: int
    aggregate: str = "(mean)"  # the ``series`` value of the metric record the column reads


@dataclass(frozen=True)
class MetricFamily:
    """A family's registration: how it is computed and what the evaluator and the tables need to know.

    Parameters
    ----------
    key
        What ``--metrics`` accepts.
    compute
        ``SeriesEval -> {metric: value}`` for a per-series family; ``None`` for a corpus-level one.
    corpus
        For a corpus-level family (NAB's score): ``[(Series, scores, threshold), ...] -> [(metric, value)]``
        over one detector's whole dataset; the records get ``series = "(corpus)"``.
    oracle
        Reads the labels to choose a threshold (metric names start with ``oracle_``).
    poolable
        Also computed once over all series pooled (counts add up), recorded as ``(pooled)``.
    columns
        Its summary-table columns.
    defined_without_anomalies
        The metrics that stay defined on a series with no labelled anomaly
        (the rest are recorded as NaN there and left out of means).
    dataset_specific
        Applies only to datasets whose registry entry lists it (NAB's score needs NAB's windows).
    """

    key: str
    compute: Callable[[SeriesEval], dict[str, float]] | None
    description: str
    oracle: bool = False
    poolable: bool = False
    columns: tuple[Column, ...] = ()
    defined_without_anomalies: frozenset[str] = frozenset()
    corpus: Callable[[list[Any]], list[tuple[str, float]]] | None = None
    dataset_specific: bool = False


def _point(e: SeriesEval) -> dict[str, float]:
    p = point_prf(e.y_true, e.y_pred)
    return {"precision": p.precision, "recall": p.recall, "f1": p.f1}


def _pa(e: SeriesEval) -> dict[str, float]:
    p = point_adjusted_prf(e.y_true, e.y_pred)
    return {"pa_precision": p.precision, "pa_recall": p.recall, "pa_f1": p.f1}


def _oracle(e: SeriesEval) -> dict[str, float]:
    best = BestF1Oracle().best(e.y_true, e.y_score)
    return {"oracle_best_f1": best.f1, "oracle_best_f1_threshold": best.threshold}


def _pa_k(e: SeriesEval) -> dict[str, float]:
    return {"pa_k_f1": pa_k_prf(e.y_true, e.y_pred, PA_K).f1, "pa_k_auc": pa_k_auc(e.y_true, e.y_pred)}


def _oracle_pa(e: SeriesEval) -> dict[str, float]:
    best = BestF1Oracle(adjusted=True).best(e.y_true, e.y_score)
    return {"oracle_best_pa_f1": best.f1, "oracle_best_pa_f1_threshold": best.threshold}


def _auc(e: SeriesEval) -> dict[str, float]:
    return {"auc_roc": auc_roc(e.y_true, e.y_score), "auc_pr": auc_pr(e.y_true, e.y_score)}


def _vus(e: SeriesEval) -> dict[str, float]:
    v = vus(e.y_true, e.y_score, DEFAULT_WINDOW)
    return {"vus_roc": v.roc, "vus_pr": v.pr}


def _range(e: SeriesEval) -> dict[str, float]:
    r = range_prf(e.y_true, e.y_pred)
    return {"range_precision": r.precision, "range_recall": r.recall, "range_f1": r.f1}


def _event(e: SeriesEval) -> dict[str, float]:
    r = event_prf(e.y_true, e.y_pred)
    return {"event_precision": r.precision, "event_recall": r.recall, "event_f1": r.f1}


def _affiliation(e: SeriesEval) -> dict[str, float]:
    a = affiliation_pr(e.y_true, e.y_pred)
    return {"affiliation_precision": a.precision, "affiliation_recall": a.recall}


def _delay(e: SeriesEval) -> dict[str, float]:
    d = detection_delay(e.y_true, e.y_pred, e.timestamps)
    out = {
        "events": float(d.n_events),
        "events_detected": float(d.n_detected),
        "detected_fraction": d.fraction_detected,
        "delay_points": float(d.delays.mean()) if d.delays.size else float("nan"),
    }
    if d.delays_seconds is not None:
        out["delay_seconds"] = float(d.delays_seconds.mean()) if d.delays_seconds.size else float("nan")
    return out


def _alarms(e: SeriesEval) -> dict[str, float]:
    a = alarm_stats(e.y_pred)
    return {"alarms": float(a.n_alarms), "alarm_rate": a.alarm_rate}


def _nab(items: list[Any]) -> list[tuple[str, float]]:
    from bench.metrics.nab_run import nab_rows

    return nab_rows(items)


FAMILIES: dict[str, MetricFamily] = {
    f.key: f
    for f in (
        MetricFamily(
            "point",
            _point,
            "point-wise precision/recall/F1 at the label-free threshold",
            poolable=True,
            columns=(Column("precision", "P", 40), Column("recall", "R", 41), Column("f1", "F1", 42)),
        ),
        MetricFamily(
            "pa",
            _pa,
            "point-adjusted precision/recall/F1 (Xu et al. 2018); lenient",
            poolable=True,
            columns=(Column("pa_f1", "PA-F1", 50),),
        ),
        MetricFamily(
            "pa_k",
            _pa_k,
            f"PA%K F1 at K={PA_K:g} and its area over K=0..100 (Kim et al. 2022)",
            columns=(Column("pa_k_f1", "PA%K-F1", 60), Column("pa_k_auc", "PA%K-AUC", 61)),
        ),
        MetricFamily(
            "oracle_f1",
            _oracle,
            "ORACLE best point-wise F1 over every threshold",
            oracle=True,
            columns=(Column("oracle_best_f1", "best F1†", 45),),
        ),
        MetricFamily(
            "oracle_pa_f1",
            _oracle_pa,
            "ORACLE best point-adjusted F1 over every distinct score",
            oracle=True,
            columns=(Column("oracle_best_pa_f1", "best PA-F1†", 55),),
        ),
        MetricFamily(
            "auc",
            _auc,
            "threshold-free AUC-ROC and AUC-PR (average precision)",
            columns=(Column("auc_pr", "AUC-PR", 10), Column("auc_roc", "AUC-ROC", 30)),
        ),
        MetricFamily(
            "vus",
            _vus,
            f"threshold-free VUS-ROC / VUS-PR, buffer up to {DEFAULT_WINDOW} (TSB-AD default)",
            columns=(Column("vus_pr", "VUS-PR", 20),),
        ),
        MetricFamily("range", _range, "range-based precision/recall/F1 (Tatbul et al. 2018; prts defaults)"),
        MetricFamily("event", _event, "event-wise recall, point-wise precision, composite F1 (Garg et al. 2021)"),
        MetricFamily("affiliation", _affiliation, "affiliation precision/recall (Huet et al. 2022)"),
        MetricFamily(
            "delay",
            _delay,
            "detection delay of detected events and fraction detected",
            columns=(Column("detected_fraction", "detected", 70), Column("delay_points", "delay", 71)),
            defined_without_anomalies=frozenset({"events", "events_detected"}),
        ),
        MetricFamily(
            "alarms",
            _alarms,
            "number and rate of alarms at the label-free threshold",
            columns=(Column("alarm_rate", "alarm rate", 80),),
            defined_without_anomalies=frozenset({"alarms", "alarm_rate"}),
        ),
        MetricFamily(
            "nab",
            None,
            "NAB's normalised corpus scores, three profiles (default on --dataset nab)",
            columns=(
                Column("nab_standard", "NAB std", 90, "(corpus)"),
                Column("nab_reward_low_FP_rate", "NAB lowFP", 91, "(corpus)"),
                Column("nab_reward_low_FN_rate", "NAB lowFN", 92, "(corpus)"),
            ),
            corpus=_nab,
            dataset_specific=True,
        ),
    )
}

COST_METRICS = ("fit_seconds", "score_seconds", "us_per_point")
"""Recorded by the runner for every task (not a family); defined on every series."""
COST_COLUMNS = (Column("fit_seconds", "fit s", 100, "(total)"), Column("score_seconds", "score s", 101, "(total)"))


def summary_columns() -> list[Column]:
    """Every family's summary columns and the cost columns, in table order."""
    cols = [c for f in FAMILIES.values() for c in f.columns] + list(COST_COLUMNS)
    return sorted(cols, key=lambda c: c.order)


# Families in every run's metrics.csv unless --metrics says otherwise.
DEFAULT_FAMILIES: tuple[str, ...] = (
    "point",
    "pa",
    "pa_k",
    "oracle_f1",
    "oracle_pa_f1",
    "auc",
    "vus",
    "delay",
    "alarms",
)


def resolve(keys: list[str] | tuple[str, ...]) -> list[MetricFamily]:
    """Families for the given keys, with an error listing the valid ones."""
    unknown = [k for k in keys if k not in FAMILIES]
    if unknown:
        raise UnknownNameError(
            f"Unknown metric {', '.join(map(repr, unknown))}. Available: {', '.join(sorted(FAMILIES))}."
        )
    return [FAMILIES[k] for k in keys]
