"""PA%K: point adjustment only for events where more than K% of the points are flagged, and its area over K."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import binary, event_bounds, same_length
from bench.metrics.point import PRF, _prf


def _event_counts(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64], int, int]:
    """Per event: length and number of flagged points; plus the total TP and alarm count."""
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    starts, ends = event_bounds(t)
    csum = np.concatenate(([0], np.cumsum(p, dtype=np.int64)))
    flagged = csum[ends] - csum[starts]
    return ends - starts, flagged, int(np.count_nonzero(t & p)), int(np.count_nonzero(p))


def _check_k(k: float) -> None:
    if not 0.0 <= k <= 100.0:
        raise ParameterError(f"PA%K needs 0 <= k <= 100 (a percentage); got {k!r}.")


def pa_k_prf(y_true: ArrayLike, y_pred: ArrayLike, k: float = 20.0) -> PRF:
    """Precision, recall and F1 after PA%K adjustment (Kim et al., AAAI 2022).

    A labelled event (maximal run of 1s in ``y_true``) is adjusted, i.e.
    counted as entirely detected, only if *more than* ``k`` percent of its
    points are flagged (``flagged / length > k / 100``). ``k=0`` is the
    classic point adjustment of Xu et al. 2018 (one flagged point suffices);
    ``k=100`` never adjusts, so it is the point-wise F1. Alarms outside events
    stay false positives either way.

    Edge cases as :func:`bench.metrics.point.point_prf` (no alarms gives
    precision 0, no events gives recall 0, F1 0 when both are 0).
    """
    _check_k(k)
    lengths, flagged, tp, n_alarms = _event_counts(y_true, y_pred)
    adjusted = 100.0 * flagged > k * lengths
    gain = int(np.sum((lengths - flagged)[adjusted]))
    return _prf(tp + gain, n_alarms - tp, int(lengths.sum()) - tp - gain)


def pa_k_curve(y_true: ArrayLike, y_pred: ArrayLike, step: int = 1) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """F1 after PA%K for every integer K = 0, step, 2*step, ..., 100; returns ``(ks, f1)``.

    Vectorised over K: an event with ``c`` of its ``L`` points flagged is
    adjusted exactly for the integers ``K < 100 c / L``, so the points each K
    gains are a reverse cumulative sum of a histogram over events.
    """
    if not isinstance(step, (int, np.integer)) or step < 1 or 100 % step:
        raise ParameterError(f"PA%K step must be a positive integer dividing 100; got {step!r}.")
    lengths, flagged, tp, n_alarms = _event_counts(y_true, y_pred)
    ks = np.arange(0, 101, step)
    # number of integer K in 0..100 for which the event is adjusted: ceil(100 c / L), capped at 101
    n_adjusted = np.minimum((100 * flagged + lengths - 1) // np.maximum(lengths, 1), 101)
    hist = np.bincount(n_adjusted, weights=(lengths - flagged).astype(np.float64), minlength=102)
    gain_by_k = np.cumsum(hist[::-1])[::-1][1:]  # gain_by_k[K] = sum over events with n_adjusted > K
    tp_k = (tp + gain_by_k[ks]).astype(np.float64)
    fp = float(n_alarms - tp)
    n_pos = float(lengths.sum())
    precision = np.divide(tp_k, tp_k + fp, out=np.zeros_like(tp_k), where=(tp_k + fp) > 0)
    recall = tp_k / n_pos if n_pos > 0 else np.zeros_like(tp_k)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp_k), where=denom > 0)
    return ks.astype(np.float64), f1


def pa_k_auc(y_true: ArrayLike, y_pred: ArrayLike, step: int = 1) -> float:
    """Area under the F1-PA%K curve over K = 0...100 (Kim et al., AAAI 2022), normalised to [0, 1].

    The trapezoidal area of F1(K) against K / 100, K on an integer grid of
    ``step`` (default 1, i.e. 101 values; Kim et al. plot K in steps of 10,
    which gives a slightly different area). It lies between the point-wise F1
    (K = 100) and the point-adjusted F1 (K = 0), and unlike PA-F1 it does not
    reward a single lucky alarm in a long event.

    Edge cases: 0 when there are no events or no alarms.
    """
    ks, f1 = pa_k_curve(y_true, y_pred, step)
    return float(np.sum(np.diff(ks / 100.0) * (f1[1:] + f1[:-1]) / 2))
