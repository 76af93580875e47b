"""Threshold-free point-wise metrics: area under the ROC curve and average precision (AUC-PR)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.metrics._validate import binary, same_length, scores


def _sorted_counts(
    y_true: ArrayLike, y_score: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """Cumulative true / false positives at each distinct score, highest score first."""
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    t_sorted = t[order]
    # last index of each run of equal scores: one ROC / PR point per distinct threshold
    last = np.flatnonzero(np.diff(s_sorted, append=-np.inf) != 0) if s.size else np.zeros(0, np.int64)
    tp = np.cumsum(t_sorted, dtype=np.float64)[last]
    fp = (last + 1) - tp
    n_pos = float(np.count_nonzero(t))
    return tp, fp, n_pos, float(t.size) - n_pos


def auc_roc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve of scores against point labels (trapezoidal, ties as one step).

    Equals scikit-learn's ``roc_auc_score`` (and the Mann-Whitney U statistic
    divided by ``n_pos * n_neg``): the probability that a random anomalous
    point scores higher than a random normal one, ties counting one half.
    Threshold-free; TSB-AD reports it as ``AUC-ROC`` (Liu & Paparrizos,
    NeurIPS 2024 Datasets and Benchmarks).

    Edge cases: NaN when the labels hold only one class (no anomalies, or
    nothing but anomalies), where scikit-learn raises; constant scores give 0.5.
    """
    tp, fp, n_pos, n_neg = _sorted_counts(y_true, y_score)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    tpr = np.concatenate(([0.0], tp / n_pos))
    fpr = np.concatenate(([0.0], fp / n_neg))
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def auc_pr(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the precision-recall curve as average precision (a step sum, not a trapezoid).

    ``AP = sum_k (R_k - R_{k-1}) * P_k`` over the distinct score thresholds
    from the highest down, exactly scikit-learn's
    ``average_precision_score`` (TSB-AD's ``AUC-PR``). The trapezoidal rule
    some packages use instead interpolates linearly between PR points and is
    optimistic (Davis & Goadrich, ICML 2006).

    Edge cases: NaN when there are no labelled anomalies (recall undefined);
    1.0 when every point is anomalous; constant scores give the anomaly rate.
    """
    tp, fp, n_pos, _ = _sorted_counts(y_true, y_score)
    if n_pos == 0:
        return float("nan")
    precision = tp / (tp + fp)
    recall = np.concatenate(([0.0], tp / n_pos))
    return float(np.sum(np.diff(recall) * precision))
