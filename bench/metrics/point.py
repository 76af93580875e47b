"""Point-wise and point-adjusted precision / recall / F1, and the best-F1 oracle sweep."""

from __future__ import annotations

from typing import NamedTuple

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


def segment_max(
    values: NDArray[np.float64], starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Maximum of ``values[starts[i]:ends[i]]`` for each non-empty, non-overlapping segment."""
    padded = np.append(values, values.min() if values.size else 0.0)
    bounds = np.column_stack((starts, ends)).ravel()
    return np.maximum.reduceat(padded, bounds)[::2]


def best_f1_threshold(y_true: ArrayLike, y_score: ArrayLike, *, adjusted: bool = False) -> BestF1:
    """ORACLE: the threshold (alarm = ``score >= t``) maximising F1, swept over every distinct score.

    This reads the labels, so it is an upper bound, not a deployable
    threshold; outputs name it ``oracle``. With ``adjusted=True`` the F1 is
    point-adjusted (Xu et al. 2018). Computed in O(n log n) by sorting the
    scores and accumulating true/false positives, instead of a loop over
    thresholds. Ties: the highest threshold achieving the best F1 wins.

    Edge cases: no labelled anomalies gives F1 0 at threshold ``max(score)``.
    """
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    n_pos = int(t.sum())
    if s.size == 0 or n_pos == 0:
        top = float(s.max()) if s.size else 0.0
        return BestF1(top, 0.0, 0.0, 0.0)
    thresholds = np.unique(s)[::-1]  # descending distinct scores
    # false positives: normal points with score >= threshold
    normal = np.sort(s[~t])
    fp = normal.size - np.searchsorted(normal, thresholds, side="left")
    if adjusted:
        starts, ends = event_bounds(t)
        event_max = segment_max(s, starts, ends)
        order = np.argsort(event_max)
        sorted_max = event_max[order]
        lengths = (ends - starts)[order]
        # length of events whose max >= threshold, plus flagged points are all of those events
        cum_from_top = np.concatenate((np.cumsum(lengths[::-1])[::-1], [0]))
        tp = cum_from_top[np.searchsorted(sorted_max, thresholds, side="left")]
    else:
        anomal = np.sort(s[t])
        tp = anomal.size - np.searchsorted(anomal, thresholds, side="left")
    tp = tp.astype(np.float64)
    fp = fp.astype(np.float64)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = tp / n_pos
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    i = int(np.argmax(f1))
    return BestF1(float(thresholds[i]), float(precision[i]), float(recall[i]), float(f1[i]))
