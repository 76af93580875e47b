"""Point-wise and point-adjusted precision / recall / F1, and the best-F1 oracle sweep."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.metrics._validate import binary, event_bounds, same_length, scores


class PRF(NamedTuple):
    precision: float
    recall: float
    f1: float


class BestF1(NamedTuple):
    """Result of an oracle threshold sweep: the threshold and the scores it achieves."""

    threshold: float
    precision: float
    recall: float
    f1: float


def _prf(tp: float, fp: float, fn: float) -> PRF:
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(float(precision), float(recall), float(f1))


def point_prf(y_true: ArrayLike, y_pred: ArrayLike) -> PRF:
    """Point-wise precision, recall and F1 of binary alarms against binary labels.

    Every time step is one sample (the textbook definition, as in
    scikit-learn's ``precision_recall_fscore_support`` for the positive class
    with ``zero_division=0``).

    Edge cases: no alarms gives precision 0; no labelled anomalies gives
    recall 0; F1 is 0 whenever precision + recall is 0.
    """
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    tp = int(np.count_nonzero(t & p))
    return _prf(tp, int(np.count_nonzero(p)) - tp, int(np.count_nonzero(t)) - tp)


def adjust_predictions(y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[np.bool_]:
    """Point adjustment (Xu et al. 2018): flag a whole labelled event if any of its points is flagged."""
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred").copy()
    same_length(t, p, "y_true", "y_pred")
    starts, ends = event_bounds(t)
    if starts.size:
        csum = np.concatenate(([0], np.cumsum(p)))
        hit = (csum[ends] - csum[starts]) > 0
        # mark each hit event with +1 at its start and -1 at its end, then integrate
        marks = np.zeros(p.size + 1, dtype=np.int64)
        np.add.at(marks, starts[hit], 1)
        np.add.at(marks, ends[hit], -1)
        p |= np.cumsum(marks[:-1]) > 0
    return p


def point_adjusted_prf(y_true: ArrayLike, y_pred: ArrayLike) -> PRF:
    """Point-adjusted precision, recall and F1 (Xu et al., WWW 2018, "Donut").

    A labelled event (a maximal run of 1s in ``y_true``) counts as entirely
    detected if at least one of its points is flagged; then point-wise
    precision/recall/F1 are computed on the adjusted alarms. Known to be
    lenient: random scores reach a high PA-F1 on series with long events
    (Kim et al., AAAI 2022), so report it beside PA%K, never alone.

    Edge cases as :func:`point_prf`.
    """
    t = binary(y_true, "y_true")
    return point_prf(t, adjust_predictions(t, y_pred))


def segment_max(values: NDArray[np.float64], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.float64]:
    """Maximum of ``values[starts[i]:ends[i]]`` for each non-empty, non-overlapping segment."""
    padded = np.append(values, values.min() if values.size else 0.0)
    bounds = np.column_stack((starts, ends)).ravel()
    return np.maximum.reduceat(padded, bounds)[::2]


class PRFCurve(NamedTuple):
    """Precision, recall and F1 at each threshold of a sweep (arrays aligned with ``thresholds``)."""

    thresholds: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    f1: NDArray[np.float64]


def prf_curve(
    y_true: ArrayLike,
    y_score: ArrayLike,
    thresholds: ArrayLike | None = None,
    *,
    adjusted: bool = False,
    strict: bool = False,
) -> PRFCurve:
    """Point-wise (or point-adjusted) precision / recall / F1 at many thresholds at once.

    Alarms are ``score >= t`` (``strict=False``, this suite's convention) or
    ``score > t`` (``strict=True``, the convention of TSB-AD's and most
    papers' PA-F1 sweeps, which use ``np.linspace(min, max, 100)`` as
    thresholds). ``thresholds=None`` sweeps every distinct score, descending.
    With ``adjusted=True`` alarms are point-adjusted first (Xu et al. 2018):
    an event counts entirely as found when its maximum score passes.

    Computed in O((n + m) log n) for m thresholds by sorting the scores and
    counting with ``searchsorted``, never by a loop over thresholds.

    Edge cases as :func:`point_prf` at every threshold (no alarms gives
    precision 0; no labelled anomalies gives recall 0).
    """
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    thr = np.unique(s)[::-1] if thresholds is None else scores(thresholds, "thresholds")
    side: Literal["left", "right"] = "right" if strict else "left"
    normal = np.sort(s[~t])
    fp = normal.size - np.searchsorted(normal, thr, side=side)
    if adjusted and t.any():
        starts, ends = event_bounds(t)
        event_max = segment_max(s, starts, ends)
        order = np.argsort(event_max)
        lengths = (ends - starts)[order]
        cum_from_top = np.concatenate((np.cumsum(lengths[::-1])[::-1], [0]))
        tp = cum_from_top[np.searchsorted(event_max[order], thr, side=side)]
    else:
        anomal = np.sort(s[t])
        tp = anomal.size - np.searchsorted(anomal, thr, side=side)
    tp = tp.astype(np.float64)
    fp = fp.astype(np.float64)
    n_pos = float(np.count_nonzero(t))
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = tp / n_pos if n_pos > 0 else np.zeros_like(tp)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return PRFCurve(thr.astype(np.float64), precision, recall, f1)


def best_f1_threshold(y_true: ArrayLike, y_score: ArrayLike, *, adjusted: bool = False) -> BestF1:
    """ORACLE: the threshold (alarm = ``score >= t``) maximising F1, swept over every distinct score.

    This reads the labels, so it is an upper bound, not a deployable
    threshold; outputs name it ``oracle``. With ``adjusted=True`` the F1 is
    point-adjusted (Xu et al. 2018). Computed in O(n log n) by sorting the
    scores and accumulating true/false positives (:func:`prf_curve`), instead
    of a loop over thresholds. Ties: the highest threshold achieving the best
    F1 wins.

    Differs deliberately from TSB-AD's ``metric_PointF1PA`` sweep, which tries
    100 evenly spaced thresholds with ``score > t``: every one of those alarm
    sets is also reached here, so our oracle is >= theirs (equal when the
    best alarm set is among their 100).

    Edge cases: no labelled anomalies gives F1 0 at threshold ``max(score)``.
    """
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    if s.size == 0 or not t.any():
        top = float(s.max()) if s.size else 0.0
        return BestF1(top, 0.0, 0.0, 0.0)
    curve = prf_curve(t, s, adjusted=adjusted)
    i = int(np.argmax(curve.f1))
    return BestF1(float(curve.thresholds[i]), float(curve.precision[i]), float(curve.recall[i]), float(curve.f1[i]))
