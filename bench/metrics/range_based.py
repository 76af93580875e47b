"""Range-based precision / recall / F1 (Tatbul et al., NeurIPS 2018) with existence, cardinality and positional bias."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import binary, event_bounds, same_length
from bench.metrics.point import PRF

BIASES = ("flat", "front", "back", "middle")
CARDINALITIES = ("one", "reciprocal")


def _coverage(
    o_starts: NDArray[np.int64], o_ends: NDArray[np.int64]
) -> tuple[Callable[[NDArray[np.int64]], NDArray[np.int64]], Callable[[NDArray[np.int64]], NDArray[np.int64]]]:
    """Prefix counts over the union of ranges ``[o_starts, o_ends)``, each O(log r) per query.

    ``count(x)`` is the number of covered indices below ``x``; ``pos(x)`` their sum.
    """
    if o_starts.size == 0:  # nothing covered: one sentinel range past every index
        o_starts = o_ends = np.array([np.iinfo(np.int64).max // 4], dtype=np.int64)
    lengths = o_ends - o_starts
    cum_len = np.concatenate(([0], np.cumsum(lengths)))
    cum_pos = np.concatenate(([0], np.cumsum((o_starts + o_ends - 1) * lengths // 2)))

    def count(x: NDArray[np.int64]) -> NDArray[np.int64]:
        j = np.searchsorted(o_starts, x, side="left")  # ranges starting below x
        beyond = np.where(j > 0, np.maximum(o_ends[np.maximum(j - 1, 0)] - x, 0), 0)
        return cum_len[j] - beyond

    def pos(x: NDArray[np.int64]) -> NDArray[np.int64]:
        j = np.searchsorted(o_starts, x, side="left")
        oe = o_ends[np.maximum(j - 1, 0)]
        beyond = np.where((j > 0) & (oe > x), (x + oe - 1) * (oe - x) // 2, 0)
        return cum_pos[j] - beyond

    return count, pos


def _positional_sum(
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    other: tuple[NDArray[np.int64], NDArray[np.int64]],
    bias: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per range ``[start, end)``: sum of the bias weight over positions covered by ``other``, and over all.

    The weight of position ``t = 1..L`` inside a range of length L is: flat
    1; front ``L - t + 1``; back ``t``; middle ``t`` for ``t <= L/2`` else
    ``L - t + 1`` (Tatbul et al. 2018, Fig. 3). Prefix sums over ranges make
    each range O(log r), with no pass over the points.
    """
    c0, c1 = _coverage(*other)
    lengths = ends - starts

    def count(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
        return c0(b) - c0(a)

    def rising(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
        # weight t = index - a + 1 over covered indices in [a, b)
        return c1(b) - c1(a) - (a - 1) * count(a, b)

    def falling(a: NDArray[np.int64], b: NDArray[np.int64], last: NDArray[np.int64]) -> NDArray[np.int64]:
        # weight (last + 1 - index) over covered indices in [a, b); last is the range's final index
        return (last + 1) * count(a, b) - (c1(b) - c1(a))

    tri = lengths * (lengths + 1) // 2
    if bias == "flat":
        return count(starts, ends).astype(np.float64), lengths.astype(np.float64)
    if bias == "front":
        return falling(starts, ends, ends - 1).astype(np.float64), tri.astype(np.float64)
    if bias == "back":
        return rising(starts, ends).astype(np.float64), tri.astype(np.float64)
    half = lengths // 2
    mid = starts + half  # first index of the falling half
    covered = rising(starts, mid) + falling(mid, ends, ends - 1)
    total = half * (half + 1) // 2 + (lengths - half) * (lengths - half + 1) // 2
    return covered.astype(np.float64), total.astype(np.float64)


def _range_scores(
    ranges: tuple[NDArray[np.int64], NDArray[np.int64]],
    other: tuple[NDArray[np.int64], NDArray[np.int64]],
    alpha: float,
    cardinality: str,
    bias: str,
) -> float:
    """Mean over ``ranges`` of ``alpha * existence + (1 - alpha) * gamma * omega`` against ``other``."""
    starts, ends = ranges
    if starts.size == 0:
        return 0.0
    covered, total = _positional_sum(starts, ends, other, bias)
    omega = covered / total
    o_starts, o_ends = other
    # number of `other` ranges overlapping each range (half-open intervals)
    n_overlap = np.searchsorted(o_starts, ends, side="left") - np.searchsorted(o_ends, starts, side="right")
    existence = (n_overlap > 0).astype(np.float64)
    gamma = np.ones_like(omega)
    if cardinality == "reciprocal":
        gamma = np.where(n_overlap > 1, 1.0 / np.maximum(n_overlap, 1), 1.0)
    per_range = alpha * existence + (1.0 - alpha) * gamma * omega
    return float(per_range.mean())


def range_prf(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.0,
    cardinality: str = "one",
    bias: str = "flat",
) -> PRF:
    """Range-based precision, recall and F1 (Tatbul et al., "Precision and Recall for Time Series",
    NeurIPS 2018); reference implementation ``prts`` (``ts_precision`` / ``ts_recall``).

    Ranges are maximal runs of 1s. For each real range R,
    ``Recall_R = alpha * Existence + (1 - alpha) * gamma(#overlaps) * omega``
    where Existence is 1 if any predicted range overlaps R, omega is the
    bias-weighted fraction of R's positions that are predicted, and gamma is
    1 (``cardinality="one"``) or ``1 / #overlapping predicted ranges``
    (``"reciprocal"``). Precision is the same from each predicted range's
    point of view, with ``alpha = 0`` as the paper recommends (existence is
    too low a bar for a prediction). Recall and precision are the means over
    ranges; F1 is their harmonic mean. Defaults (alpha 0, cardinality "one",
    flat bias) are prts's, under which range recall/precision equal the mean
    per-range covered fraction.

    Parameters
    ----------
    alpha
        Weight of the existence reward in recall, in [0, 1].
    cardinality
        ``"one"`` or ``"reciprocal"`` (prts's ``"udf_gamma"`` is not offered).
    bias
        Positional bias ``"flat"``, ``"front"``, ``"back"`` or ``"middle"``,
        used for both precision and recall.

    Edge cases: prts raises on an all-zero prediction or an all-zero label;
    here no predicted ranges gives precision 0 and no real ranges gives
    recall 0 (F1 then 0). Cost O(n) to find the ranges plus O(r log r) for r ranges (prts: O(r^2 L)).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ParameterError(f"range_prf needs 0 <= alpha <= 1; got {alpha!r}.")
    if cardinality not in CARDINALITIES:
        raise ParameterError(f"Unknown cardinality {cardinality!r}. Available: {', '.join(CARDINALITIES)}.")
    if bias not in BIASES:
        raise ParameterError(f"Unknown positional bias {bias!r}. Available: {', '.join(BIASES)}.")
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    real = event_bounds(t)
    pred = event_bounds(p)
    recall = _range_scores(real, pred, alpha, cardinality, bias)
    precision = _range_scores(pred, real, 0.0, cardinality, bias)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(precision, recall, float(f1))
