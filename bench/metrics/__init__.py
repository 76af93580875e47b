"""Evaluation metrics: pure, vectorised functions of labels and scores or alarms.

Each module holds one family; the names are re-exported here.
"""

from __future__ import annotations

from bench.metrics.affiliation import AffiliationPR, affiliation_curve, affiliation_pr
from bench.metrics.auc import auc_pr, auc_roc
from bench.metrics.event import event_prf
from bench.metrics.latency import DelayResult, alarm_stats, detection_delay
from bench.metrics.pa_k import pa_k_auc, pa_k_curve, pa_k_prf
from bench.metrics.point import (
    PRF,
    BestF1,
    PRFCurve,
    adjust_predictions,
    best_f1_threshold,
    point_adjusted_prf,
    point_prf,
    prf_curve,
)
from bench.metrics.range_based import range_prf
from bench.metrics.vus import VUS, vus, vus_pr, vus_roc

__all__ = [
    "PRF",
    "VUS",
    "AffiliationPR",
    "BestF1",
    "DelayResult",
    "PRFCurve",
    "adjust_predictions",
    "affiliation_curve",
    "affiliation_pr",
    "alarm_stats",
    "auc_pr",
    "auc_roc",
    "best_f1_threshold",
    "detection_delay",
    "event_prf",
    "pa_k_auc",
    "pa_k_curve",
    "pa_k_prf",
    "point_adjusted_prf",
    "point_prf",
    "prf_curve",
    "range_prf",
    "vus",
    "vus_pr",
    "vus_roc",
]
