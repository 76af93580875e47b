"""Affiliation precision / recall (Huet, Navarro, Rossi, KDD 2022), in closed form and swept over thresholds.

Each labelled event J owns an *affiliation zone* E (the points closer to J
than to any other event, cut at the midpoints between events and at the
series ends). Point i stands for the interval ``[i, i + 1)``. Precision
averages, over predicted time in E, the probability that a random point of E
lies farther from J than the prediction does; recall averages, over J, the
probability that a random point of E lies farther from the prediction than
J's point does. Everything below integrates those piecewise-linear
survival functions exactly, on half-unit cells (every zone boundary is a
multiple of 1/2), in distance coordinates so that long series lose no
precision.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.metrics._validate import binary, event_bounds, same_length, scores

F64 = NDArray[np.float64]


class AffiliationPR(NamedTuple):
    precision: float
    recall: float


class AffiliationCurve(NamedTuple):
    """Affiliation precision and recall at each threshold of a sweep (aligned with ``thresholds``)."""

    thresholds: F64
    precision: F64
    recall: F64
    f1: F64


def _ramp(z_top: F64, lo: F64, hi: F64, slope: float = 1.0) -> F64:
    """``integral over z in [lo, hi] of max(0, z_top - slope * z) dz`` (elementwise, ``lo <= hi``)."""
    top = np.minimum(hi, z_top / slope)
    width = np.maximum(top - lo, 0.0)
    return width * (z_top - slope * (top + lo) / 2)


class _Zones(NamedTuple):
    starts: NDArray[np.int64]  # events [a, b)
    ends: NDArray[np.int64]
    lo: F64  # affiliation zones [lo, hi]
    hi: F64


def _zones(t: NDArray[np.bool_]) -> _Zones:
    a, b = event_bounds(t)
    mids = (b[:-1] + a[1:]) / 2.0
    return _Zones(a, b, np.concatenate(([0.0], mids)), np.concatenate((mids, [float(t.size)])))


def _precision_weights(z: _Zones, n: int) -> tuple[NDArray[np.int64], F64]:
    """Zone of each half cell ``[u, u + 1/2)``, u = 0, 1/2, ..., and the integral of the precision survival over it."""
    u = np.arange(2 * n) / 2.0
    zone = np.searchsorted(z.lo, u, side="right") - 1
    a, b = z.starts[zone].astype(np.float64), z.ends[zone].astype(np.float64)
    lo, hi = z.lo[zone], z.hi[zone]
    left_arm, right_arm = a - lo, hi - b
    before, after = u + 0.5 <= a, u >= b
    # distance to J over the half cell, as an interval [d1, d2]
    d1 = np.where(before, a - u - 0.5, u - b)
    d2 = d1 + 0.5
    outside = (_ramp(left_arm, d1, d2) + _ramp(right_arm, d1, d2)) / (hi - lo)
    return zone, np.where(before | after, outside, 0.5)


def _recall_integral(
    z: _Zones, cells: NDArray[np.int64], cell_zone: NDArray[np.int64], flagged_pos: NDArray[np.int64]
) -> tuple[F64, NDArray[np.bool_]]:
    """Per event point (cell ``[c, c+1)``): the recall survival's integral over it, given the
    (non-empty, sorted) flagged positions, and whether its zone holds any alarm."""
    lo, hi = z.lo[cell_zone], z.hi[cell_zone]
    width = hi - lo
    c = cells.astype(np.float64)
    i = np.searchsorted(flagged_pos, cells, side="left")
    is_flagged = (i < flagged_pos.size) & (flagged_pos[np.minimum(i, flagged_pos.size - 1)] == cells)
    prev_pos = np.where(i > 0, flagged_pos[np.maximum(i - 1, 0)], -1).astype(np.float64)
    j = np.searchsorted(flagged_pos, cells, side="right")
    next_pos = np.where(j < flagged_pos.size, flagged_pos[np.minimum(j, flagged_pos.size - 1)], -1)
    left_edge = prev_pos + 1.0
    has_left = (i > 0) & (left_edge > lo)
    has_right = (j < flagged_pos.size) & (next_pos < hi)
    right_edge = next_pos.astype(np.float64)
    # part of the cell closer to the left piece than to the right one
    mid = np.where(has_left & has_right, (left_edge + right_edge) / 2, np.where(has_left, np.inf, -np.inf))
    left_len = np.clip(mid - c, 0.0, 1.0)
    # left piece: D = y - l, z in [c - l, c + left_len - l]
    z1 = c - left_edge
    left_part = (left_edge - lo) * left_len + _ramp(hi - left_edge, z1, z1 + left_len, 2.0)
    # right piece: D = r - y, z in [r - c - 1, r - c - left_len]
    z2 = right_edge - c - left_len
    right_len = 1.0 - left_len
    right_part = (hi - right_edge) * right_len + _ramp(right_edge - lo, z2 - right_len, z2, 2.0)
    part = np.where(has_left, left_part, 0.0) + np.where(has_right, right_part, 0.0)
    value = np.where(is_flagged, 1.0, part / width)
    any_in_zone = has_left | has_right | is_flagged
    return np.where(any_in_zone, value, 0.0), any_in_zone


def _recall(z: _Zones, cells: NDArray[np.int64], cell_zone: NDArray[np.int64], flagged_pos: NDArray[np.int64]) -> float:
    if flagged_pos.size == 0:
        return 0.0
    value, any_in_zone = _recall_integral(z, cells, cell_zone, flagged_pos)
    n_events = z.starts.size
    per_event = np.bincount(cell_zone, weights=value, minlength=n_events)
    # an event with no prediction anywhere in its zone has recall 0 (its cells all see no prediction)
    seen = np.bincount(cell_zone, weights=any_in_zone.astype(np.float64), minlength=n_events) > 0
    per_event = np.where(seen, per_event / (z.ends - z.starts), 0.0)
    return float(per_event.mean())


def _sweep(t: NDArray[np.bool_], k0: NDArray[np.int64], m: int) -> tuple[F64, F64]:
    """Precision and recall at m nested alarm sets: point i is flagged at steps ``k >= k0[i]``."""
    n = t.size
    z = _zones(t)
    n_events = z.starts.size
    zone, weight = _precision_weights(z, n)
    cell_k0 = np.repeat(k0, 2)
    flat = zone * (m + 1) + np.minimum(cell_k0, m)
    num = np.bincount(flat, weights=weight, minlength=n_events * (m + 1)).reshape(n_events, m + 1)
    den = np.bincount(flat, minlength=n_events * (m + 1)).reshape(n_events, m + 1) * 0.5
    num, den = np.cumsum(num, axis=1)[:, :m], np.cumsum(den, axis=1)[:, :m]
    has = den > 0
    ratio = np.divide(num, den, out=np.zeros_like(num), where=has)
    n_has = has.sum(axis=0)
    precision = np.divide(ratio.sum(axis=0), n_has, out=np.zeros(m), where=n_has > 0)

    cells = np.flatnonzero(t)
    cell_zone = np.searchsorted(z.starts, cells, side="right") - 1
    order = np.argsort(k0, kind="stable")
    counts = np.searchsorted(k0[order], np.arange(m), side="right")
    recall = np.empty(m)
    for k in range(m):
        flagged_pos = np.sort(order[: counts[k]]) if counts[k] < n // 8 else np.flatnonzero(k0 <= k)
        recall[k] = _recall(z, cells, cell_zone, flagged_pos)
    return precision, recall


def affiliation_pr(y_true: ArrayLike, y_pred: ArrayLike) -> AffiliationPR:
    """Affiliation precision and recall (Huet, Navarro, Rossi, "Local Evaluation of Time Series
    Anomaly Detection Algorithms", KDD 2022); reference implementation ``affiliation-metrics-py``,
    vendored in TSB-AD as ``TSB_AD.evaluation.affiliation`` (``pr_from_events`` with
    ``Trange = (0, n)``, events from ``convert_vector_to_events``).

    Precision is the mean over events whose zone holds any alarm of the
    per-zone precision probability; recall the mean over all events of the
    per-event recall probability (0 for an event with no alarm in its zone).
    Both lie in [0, 1]; random alarms give about 0.5 each, a perfect
    prediction 1.

    Edge cases: NaN for both when there are no labelled events (the
    reference raises); precision 0 when there are no alarms (the reference
    returns NaN). Cost O(n) (the reference: O(events x predicted events)).
    """
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    if not t.any():
        return AffiliationPR(float("nan"), float("nan"))
    precision, recall = _sweep(t, np.where(p, 0, 1).astype(np.int64), 1)
    return AffiliationPR(float(precision[0]), float(recall[0]))


def affiliation_curve(
    y_true: ArrayLike, y_score: ArrayLike, thresholds: ArrayLike | int = 100, *, strict: bool = False
) -> AffiliationCurve:
    """Affiliation precision / recall / F1 at every threshold of a sweep (alarm ``score >= t``, or
    ``score > t`` with ``strict=True``).

    ``thresholds`` is an array, or a count m for ``np.linspace(min, max, m)``
    (TSB-AD's ``metric_Affiliation`` sweep is ``m=100, strict=True``, the F1
    with 1e-15 added to its denominator; ours is exactly ``2PR/(P+R)``).
    A sweep over every distinct score is not offered: precision keeps one
    value per (event, threshold), so memory is O(events x thresholds).
    Precision sums are cumulative over the nested alarm sets; recall is
    recomputed per threshold in O(n) vectorised work. Edge cases as
    :func:`affiliation_pr` at each threshold.
    """
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    if isinstance(thresholds, (int, np.integer)):
        thr = np.linspace(s.min(), s.max(), int(thresholds)) if s.size else np.zeros(0)
    else:
        thr = scores(thresholds, "thresholds")
    m = thr.size
    if not t.any():
        nan = np.full(m, np.nan)
        return AffiliationCurve(thr, nan, nan, nan)
    order = np.argsort(-thr, kind="stable")  # nested alarm sets: highest threshold first
    desc = thr[order]
    # k0[i]: first step (in descending threshold order) at which point i is flagged
    asc = desc[::-1]
    passed = np.searchsorted(asc, s, side="left" if strict else "right")  # thresholds below (or at) the score
    k0 = (m - passed).astype(np.int64)
    precision_d, recall_d = _sweep(t, k0, m)
    precision, recall = np.empty(m), np.empty(m)
    precision[order], recall[order] = precision_d, recall_d
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(m), where=denom > 0)
    return AffiliationCurve(thr, precision, recall, f1)
