"""Event-wise F1: recall over labelled events, precision over points (the "composite" F1 of Garg et al.)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from bench.metrics._validate import binary, event_bounds, same_length
from bench.metrics.point import PRF


def event_prf(y_true: ArrayLike, y_pred: ArrayLike) -> PRF:
    """Composite F1 (Garg et al., IEEE TNNLS 2021, "An evaluation of anomaly detection and diagnosis
    in multivariate time series"): precision point-wise, recall event-wise.

    ``precision = TP points / flagged points``; ``recall = events with at
    least one flagged point / events`` (an event is a maximal run of 1s in
    ``y_true``); ``f1`` their harmonic mean. Unlike point-adjusted F1 a lucky
    alarm in a long event does not inflate precision. TSB-AD reports it as
    ``Event-based-F1``; its ``_get_events`` drops the last point of an event
    that runs to the end of the series (so a one-point event at the end can
    never be detected there); here every event keeps all its points.
    TSB-AD also adds 1e-15 to the F1 denominator; here F1 is exactly
    ``2 P R / (P + R)``.

    Edge cases: no alarms gives precision 0; no events gives recall 0; F1 0
    when precision + recall is 0.
    """
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    n_alarms = int(np.count_nonzero(p))
    precision = int(np.count_nonzero(t & p)) / n_alarms if n_alarms else 0.0
    starts, ends = event_bounds(t)
    if starts.size:
        csum = np.concatenate(([0], np.cumsum(p, dtype=np.int64)))
        recall = float(np.count_nonzero(csum[ends] > csum[starts])) / starts.size
    else:
        recall = 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(float(precision), float(recall), float(f1))
