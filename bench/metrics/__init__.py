"""Evaluation metrics: pure, vectorised functions of labels and scores or alarms.

Each module holds one family; the names are re-exported here.
"""

from __future__ import annotations

from bench.metrics.latency import DelayResult, alarm_stats, detection_delay
from bench.metrics.point import PRF, best_f1_threshold, point_adjusted_prf, point_prf

__all__ = [
    "PRF",
    "DelayResult",
    "alarm_stats",
    "best_f1_threshold",
    "detection_delay",
    "point_adjusted_prf",
    "point_prf",
]
