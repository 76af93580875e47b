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

import numpy as np
from numpy.typing import NDArray

from bench.errors import UnknownNameError
from bench.metrics.affiliation import affiliation_pr
from bench.metrics.auc import auc_pr, auc_roc
from bench.metrics.event import event_prf
from bench.metrics.latency import alarm_stats, detection_delay
from bench.metrics.pa_k import pa_k_auc, pa_k_prf
from bench.metrics.point import best_f1_threshold, point_adjusted_prf, point_prf
from bench.metrics.range_based import range_prf
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
class MetricFamily:
    key: str  # what --metrics accepts
    compute: Callable[[SeriesEval], dict[str, float]]
    description: str
    oracle: bool = False
    # pooled over series by concatenation (counts add up); otherwise only the mean over series
    poolable: bool = False


def _point(e: SeriesEval) -> dict[str, float]:
    p = point_prf(e.y_true, e.y_pred)
    return {"precision": p.precision, "recall": p.recall, "f1": p.f1}


def _pa(e: SeriesEval) -> dict[str, float]:
    p = point_adjusted_prf(e.y_true, e.y_pred)
    return {"pa_precision": p.precision, "pa_recall": p.recall, "pa_f1": p.f1}


def _oracle(e: SeriesEval) -> dict[str, float]:
    best = best_f1_threshold(e.y_true, e.y_score)
    return {"oracle_best_f1": best.f1, "oracle_best_f1_threshold": best.threshold}


def _pa_k(e: SeriesEval) -> dict[str, float]:
    return {"pa_k_f1": pa_k_prf(e.y_true, e.y_pred, PA_K).f1, "pa_k_auc": pa_k_auc(e.y_true, e.y_pred)}


def _oracle_pa(e: SeriesEval) -> dict[str, float]:
    best = best_f1_threshold(e.y_true, e.y_score, adjusted=True)
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


FAMILIES: dict[str, MetricFamily] = {
    f.key: f
    for f in (
        MetricFamily("point", _point, "point-wise precision/recall/F1 at the label-free threshold", poolable=True),
        MetricFamily("pa", _pa, "point-adjusted precision/recall/F1 (Xu et al. 2018); lenient", poolable=True),
        MetricFamily("pa_k", _pa_k, f"PA%K F1 at K={PA_K:g} and its area over K=0..100 (Kim et al. 2022)"),
        MetricFamily("oracle_f1", _oracle, "ORACLE best point-wise F1 over every threshold", oracle=True),
        MetricFamily(
            "oracle_pa_f1", _oracle_pa, "ORACLE best point-adjusted F1 over every distinct score", oracle=True
        ),
        MetricFamily("auc", _auc, "threshold-free AUC-ROC and AUC-PR (average precision)"),
        MetricFamily("vus", _vus, f"threshold-free VUS-ROC / VUS-PR, buffer up to {DEFAULT_WINDOW} (TSB-AD default)"),
        MetricFamily("range", _range, "range-based precision/recall/F1 (Tatbul et al. 2018; prts defaults)"),
        MetricFamily("event", _event, "event-wise recall, point-wise precision, composite F1 (Garg et al. 2021)"),
        MetricFamily("affiliation", _affiliation, "affiliation precision/recall (Huet et al. 2022)"),
        MetricFamily("delay", _delay, "detection delay of detected events and fraction detected"),
        MetricFamily("alarms", _alarms, "number and rate of alarms at the label-free threshold"),
    )
}

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
    unknown = [k for k in keys if k not in FAMILIES and k != "nab"]
    if unknown:
        raise UnknownNameError(
            f"Unknown metric {', '.join(map(repr, unknown))}. Available: {', '.join(sorted([*FAMILIES, 'nab']))}."
        )
    return [FAMILIES[k] for k in keys if k in FAMILIES]
