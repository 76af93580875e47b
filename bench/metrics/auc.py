"""Threshold-free point-wise metrics: area under the ROC curve and average precision (AUC-PR).

Both come from one pass over the scores sorted once (:func:`sorted_counts`):
the true and false positives at each distinct score, highest first. A caller
that needs several curves of one series (the report's precision-recall
curve and its average precision) sorts once and reads them all from the
same :class:`SortedCounts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.metrics._validate import binary, same_length, scores


@dataclass(frozen=True)
class SortedCounts:
    """Cumulative true / false positives at each distinct score, highest score first, and the class sizes.

    ``tp[i]`` and ``fp[i]`` count the points scoring at least the ``i``-th highest distinct score: one
    ROC / PR point per distinct threshold, ties as one step.
    """

    tp: NDArray[np.float64]
    fp: NDArray[np.float64]
    n_pos: float
    n_neg: float

    @property
    def precision(self) -> NDArray[np.float64]:
        """Precision at each distinct threshold (never 0/0: each threshold flags at least one point)."""
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> NDArray[np.float64]:
        """Recall at each distinct threshold (NaN where there is no labelled anomaly)."""
        return self.tp / self.n_pos if self.n_pos else np.full(self.tp.shape, np.nan)


def sorted_counts(y_true: ArrayLike, y_score: ArrayLike) -> SortedCounts:
    """Sort the scores once (stable, highest first) and count true / false positives per distinct score.

    >>> c = sorted_counts([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.4])
    >>> c.tp.tolist(), c.fp.tolist(), c.n_pos, c.n_neg
    ([1.0, 2.0, 2.0], [0.0, 1.0, 2.0], 2.0, 2.0)
    """
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
    return SortedCounts(tp, fp, n_pos, float(t.size) - n_pos)


def roc_auc_from_counts(c: SortedCounts) -> float:
    """:func:`auc_roc` from counts already sorted (NaN with one class only)."""
    if c.n_pos == 0 or c.n_neg == 0:
        return float("nan")
    tpr = np.concatenate(([0.0], c.tp / c.n_pos))
    fpr = np.concatenate(([0.0], c.fp / c.n_neg))
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision_from_counts(c: SortedCounts) -> float:
    """:func:`auc_pr` from counts already sorted (NaN without labelled anomalies)."""
    if c.n_pos == 0:
        return float("nan")
    recall = np.concatenate(([0.0], c.tp / c.n_pos))
    return float(np.sum(np.diff(recall) * c.precision))


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
    return roc_auc_from_counts(sorted_counts(y_true, y_score))


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
    return average_precision_from_counts(sorted_counts(y_true, y_score))
