"""Volume under the surface (VUS-ROC, VUS-PR; Paparrizos et al., VLDB 2022), vectorised over thresholds.

The labels are widened around every event by a soft buffer (``sqrt(1 - d/w)``
at distance ``d``, up to ``w // 2`` points on each side) and a range-aware
ROC / PR area is computed at 250 score-rank thresholds; VUS is the mean
area over every buffer length ``w = 0 .. window``. Reference: the ``vus``
package (``RangeAUC_volume_opt``), identical in TSB-AD (``generate_curve``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import binary, event_bounds, same_length, scores

DEFAULT_WINDOW = 100
"""TSB-AD's ``get_metrics(..., slidingWindow=100)`` default buffer length."""


CHUNK_ENTRIES = 4_000_000
"""Buffer lengths are computed together in chunks of about this many (length, tail point) entries."""


class VUS(NamedTuple):
    roc: float
    pr: float


def _segment_min(values: NDArray[np.int64], lo: NDArray[np.int64], hi: NDArray[np.int64]) -> NDArray[np.int64]:
    """Minimum of ``values[lo[i]:hi[i]]`` for non-empty, sorted, non-overlapping segments."""
    padded = np.append(values, np.iinfo(np.int64).max)
    return np.minimum.reduceat(padded, np.column_stack((lo, hi)).ravel())[::2]


def vus(
    y_true: ArrayLike,
    y_score: ArrayLike,
    window: int = DEFAULT_WINDOW,
    n_thresholds: int = 250,
) -> VUS:
    """VUS-ROC and VUS-PR (Paparrizos, Boniol, Palpanas, Tsay, Elmore, Franklin, "Volume Under the
    Surface: A New Accuracy Evaluation Measure for Time-Series Anomaly Detection", VLDB 2022).

    For each buffer length ``w = 0 .. window`` the labels get soft tails of
    ``w // 2`` points on each side of every event (overlapping tails add up,
    capped at 1); at each of ``n_thresholds`` thresholds (the scores at ranks
    ``linspace(0, n - 1, n_thresholds)`` of the descending sort, alarms
    ``score >= t``) a range-aware TPR (recall against the widened labels
    times the fraction of widened segments touched), FPR and precision are
    computed; the ROC area is a trapezoid from (0, 0) to (1, 1), the PR area
    a step sum ``sum (TPR_k - TPR_{k-1}) * precision_k``. VUS is the mean of
    the areas over the ``window + 1`` buffer lengths. Matches the reference
    ``vus.metrics.get_metrics(score, labels, metric='vus',
    slidingWindow=window)`` to rounding (checked in the tests).

    Parameters
    ----------
    window
        The largest buffer length (TSB-AD's ``slidingWindow``). Default 100,
        the default of TSB-AD's ``get_metrics``; TSB-AD's benchmark scripts
        instead pass the series' dominant period (``find_length_rank``),
        which the caller can estimate and pass here.
    n_thresholds
        Number of score-rank thresholds (250 in the reference).

    Edge cases: NaN for both when there are no labelled events (the
    reference crashes); VUS-ROC is NaN when every point is anomalous. Cost
    O(n log n + window * (E * window + n_thresholds)) for E events, instead of
    the reference's O(window * n_thresholds * n).
    """
    if not isinstance(window, (int, np.integer)) or window < 0:
        raise ParameterError(f"VUS window must be a non-negative integer; got {window!r}.")
    if not isinstance(n_thresholds, (int, np.integer)) or n_thresholds < 1:
        raise ParameterError(f"VUS n_thresholds must be a positive integer; got {n_thresholds!r}.")
    t = binary(y_true, "y_true")
    s = scores(y_score)
    same_length(t, s, "y_true", "y_score")
    n = t.size
    starts, ends = event_bounds(t)  # ends exclusive
    if starts.size == 0:
        return VUS(float("nan"), float("nan"))
    n_pos = float(np.count_nonzero(t))
    thr = np.sort(s)[::-1][np.linspace(0, n - 1, n_thresholds).astype(int)]
    # first threshold index at which each point is flagged (thresholds descend)
    k0 = n_thresholds - np.searchsorted(thr[::-1], s, side="right")

    def by_threshold(keys: NDArray[np.int64], weights: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        counts = np.bincount(keys, weights=weights, minlength=n_thresholds + 1)
        return np.cumsum(counts, dtype=np.float64)[:n_thresholds]

    n_pred = by_threshold(k0)
    tp_events = by_threshold(k0[t])

    # tail points within window // 2 of an event, outside every event, as (point, distance) pairs
    h_max = window // 2
    d = np.arange(1, h_max + 1, dtype=np.int64)
    right = (ends[:, None] - 1 + d[None, :]).ravel()
    left = (starts[:, None] - d[None, :]).ravel()
    pair_x = np.concatenate((right, left))
    pair_d = np.concatenate((np.tile(d, starts.size), np.tile(d, starts.size)))
    keep = (pair_x >= 0) & (pair_x < n)
    keep[keep] = ~t[pair_x[keep]]
    pair_x, pair_d = pair_x[keep], pair_d[keep]
    order = np.argsort(pair_d, kind="stable")
    pair_x, pair_d = pair_x[order], pair_d[order]
    tail_x, pair_slot = np.unique(pair_x, return_inverse=True)
    tail_k0 = k0[tail_x]

    # items for the "segment touched" count: one per event (its earliest flag) and one per tail point
    event_k0 = _segment_min(k0, starts, ends)
    item_pos = np.concatenate((starts, tail_x))
    item_k0 = np.concatenate((event_k0, tail_k0))
    order = np.argsort(item_pos, kind="stable")
    item_pos, item_k0 = item_pos[order], item_k0[order]
    last = ends - 1  # inclusive event ends

    def areas(ws: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The ROC and PR areas for the buffer lengths ``ws``, one row each (the rows do not interact)."""
        n_w = ws.size
        hs = ws // 2
        m = np.searchsorted(pair_d, hs, side="right")  # tail pairs within each row's buffer
        row = np.repeat(np.arange(n_w), m)  # row of each (buffer length, tail pair) entry
        pos = np.arange(row.size) - np.repeat(np.cumsum(m) - m, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.sqrt(1.0 - pair_d[pos] / ws[row])
        ext = np.minimum(
            np.bincount(row * tail_x.size + pair_slot[pos], weights=weight, minlength=n_w * tail_x.size), 1.0
        )
        width = n_thresholds + 1
        flat = (np.arange(n_w)[:, None] * width + tail_k0[None, :]).ravel()
        tail_tp = np.cumsum(
            np.bincount(flat, weights=ext, minlength=n_w * width).reshape(n_w, width), axis=1, dtype=np.float64
        )[:, :n_thresholds]
        # widened segments: events merged when their buffers overlap (the reference's new_sequence)
        split = last[None, :-1] + hs[:, None] < starts[None, 1:] - hs[:, None]
        new_seg = np.concatenate((np.ones((n_w, 1), bool), split), axis=1)  # an event that opens a segment
        seg_w, seg_first = np.nonzero(new_seg)
        closes = np.concatenate((split, np.ones((n_w, 1), bool)), axis=1)  # an event that closes one
        _, seg_last = np.nonzero(closes)
        seg_a = np.maximum(starts[seg_first] - hs[seg_w], 0)
        seg_b = np.minimum(last[seg_last] + hs[seg_w], n - 1)
        lo = np.searchsorted(item_pos, seg_a, side="left")
        hi = np.searchsorted(item_pos, seg_b, side="right")
        seg_k0 = _segment_min(item_k0, lo, hi)
        touched = np.cumsum(
            np.bincount(seg_w * width + seg_k0, minlength=n_w * width).reshape(n_w, width), axis=1, dtype=np.float64
        )[:, :n_thresholds]
        n_seg = new_seg.sum(axis=1)[:, None]
        tp = tp_events + tail_tp
        p_new = (n_pos + n_pos + tail_tp) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            tpr = np.minimum(tp / p_new, 1.0) * touched / n_seg
            fpr = (n_pred - tp) / (n - p_new)
        precision = tp / n_pred
        zeros, ones = np.zeros((n_w, 1)), np.ones((n_w, 1))
        tpr_full = np.concatenate((zeros, tpr, ones), axis=1)
        fpr_full = np.concatenate((zeros, fpr, ones), axis=1)
        roc = np.sum(np.diff(fpr_full, axis=1) * (tpr_full[:, 1:] + tpr_full[:, :-1]) / 2, axis=1)
        pr = np.sum(np.diff(tpr_full[:, :-1], axis=1) * precision, axis=1)
        return roc, pr

    # many buffer lengths at once, as rows (each row's numbers as a loop over lengths would give them), in
    # chunks that keep the (length, tail point) arrays to a few million entries on series with many events
    step = max(1, CHUNK_ENTRIES // max(1, pair_d.size))
    parts = [areas(np.arange(w0, min(w0 + step, window + 1))) for w0 in range(0, window + 1, step)]
    roc = np.concatenate([r for r, _ in parts])
    pr = np.concatenate([q for _, q in parts])
    return VUS(float(roc.mean()), float(pr.mean()))


def vus_roc(y_true: ArrayLike, y_score: ArrayLike, window: int = DEFAULT_WINDOW, n_thresholds: int = 250) -> float:
    """VUS-ROC; see :func:`vus` (computing both costs the same as one)."""
    return vus(y_true, y_score, window, n_thresholds).roc


def vus_pr(y_true: ArrayLike, y_score: ArrayLike, window: int = DEFAULT_WINDOW, n_thresholds: int = 250) -> float:
    """VUS-PR; see :func:`vus` (computing both costs the same as one)."""
    return vus(y_true, y_score, window, n_thresholds).pr
