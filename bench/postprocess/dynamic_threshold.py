"""Telemanom's non-parametric dynamic threshold with pruning (Hundman et al., KDD 2018), as a pure function.

Source: Hundman, Constantinou, Laporte, Colwell & Soderstrom, "Detecting
Spacecraft Anomalies Using LSTMs and Nonparametric Dynamic Thresholding",
KDD 2018, §3.2-3.3, and its code, github khundman/telemanom
``telemanom/errors.py`` (``Errors.process_batches``, ``ErrorWindow.find_epsilon``,
``compare_to_epsilon``, ``prune_anoms``) with ``config.yaml``. Reimplemented,
not copied. Defaults: ``batch_size: 70``, ``window_size: 30`` (trailing
batches, so a window of 2100 errors), ``error_buffer: 100``, ``p: 0.13``,
``z`` in ``np.arange(2.5, 12, 0.5)`` and the fallback ``sd_lim = 12``.

Differences from telemanom's code, all documented in :func:`dynamic_threshold`:
no test on the errors' size relative to the *values* (telemanom's
``0.05 * inter_range`` guards: our scores are not in value units); every run
of flagged points is a sequence (telemanom drops one-point runs from pruning);
the last, partial batch is judged like the others (telemanom skips up to 69
points there); nothing is ignored at the start (telemanom ignores up to 500
errors because it overwrote them with their mean).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import scores as as_scores

#: ``find_epsilon`` candidates: ``np.arange(2.5, sd_lim, 0.5)`` with ``sd_lim = 12``; ``SD_LIMIT`` is the fallback.
Z_VALUES = np.arange(2.5, 12.0, 0.5)
SD_LIMIT = 12.0
MAX_SEQUENCES = 5  # find_epsilon's guardrails: at most 5 sequences ...
MAX_FRACTION = 0.5  # ... and fewer than half the window flagged


class DynamicThreshold(NamedTuple):
    alarms: NDArray[np.bool_]  # (n,) True where a pruned anomalous sequence lies
    epsilon: NDArray[np.float64]  # (k,) the upper threshold of each window
    window_ends: NDArray[np.int64]  # (k,) exclusive end of each window; it judged the points since the previous end


def _dilate(mask: NDArray[np.bool_], b: int) -> NDArray[np.bool_]:
    """``out[..., i] = mask[..., i - b : i + b + 1].any()`` along the last axis."""
    w = mask.shape[-1]
    zero = np.zeros(mask.shape[:-1] + (1,), dtype=np.int64)
    cs: NDArray[np.int64] = np.concatenate((zero, np.cumsum(mask, axis=-1, dtype=np.int64)), axis=-1)
    idx = np.arange(w)
    counts: NDArray[np.int64] = cs[..., np.minimum(idx + b + 1, w)] - cs[..., np.maximum(idx - b, 0)]
    return counts > 0


def find_epsilon(e: NDArray[np.float64], mean: float, std: float, error_buffer: int = 100) -> float:
    """Telemanom's threshold ``mean + z * std`` for one window (``ErrorWindow.find_epsilon``; paper eq. 2-3).

    For each ``z`` in :data:`Z_VALUES`: the points ``e >= eps`` widened by
    ``error_buffer - 1`` on each side are the candidate anomalies ``i_a``
    (and ``E_seq`` their runs of two or more points); the score is
    ``(dmean / mean + dstd / std) / (len(E_seq)**2 + len(i_a))`` with
    ``dmean``, ``dstd`` the drop in mean and standard deviation when the
    points above ``eps`` are removed. The highest score wins (the larger
    ``z`` on ties), among ``z`` with at most 5 sequences and fewer than half
    the window flagged; if none qualifies, ``mean + 12 * std``. A window with
    ``mean == 0`` counts the mean term as 0.
    """
    eps = mean + std * Z_VALUES
    W, b = e.size, error_buffer - 1
    cand = np.flatnonzero(e >= eps[0])  # every z's flagged points are among the lowest threshold's
    if cand.size == 0:
        return float(mean + SD_LIMIT * std)
    inc = e[cand][None, :] >= eps[:, None]  # (z, candidate)
    lo, hi = np.maximum(cand - b, 0), np.minimum(cand + b, W - 1)  # widened intervals, in position order
    hi_z = np.where(inc, hi, -2)
    prev = np.concatenate((np.full((eps.size, 1), -2), np.maximum.accumulate(hi_z, axis=1)[:, :-1]), axis=1)
    n_anom = np.where(inc, hi - np.maximum(lo - 1, prev), 0).sum(axis=1)  # size of the union of intervals
    run_start = inc & (lo > prev + 1)
    lo_z = np.where(inc, lo, W + 2)
    nxt = np.concatenate(
        (np.minimum.accumulate(lo_z[:, ::-1], axis=1)[:, ::-1][:, 1:], np.full((eps.size, 1), W + 2)), axis=1
    )
    single = run_start & (hi == lo) & (nxt > hi + 1)  # a run of one point is no sequence
    n_seq = run_start.sum(axis=1) - single.sum(axis=1)
    # mean and std of the points below each eps, from prefix sums of the sorted, centred errors
    ranked = np.sort(e)
    m = np.searchsorted(ranked, eps, side="left")  # how many are below eps
    d = ranked - mean
    c1, c2 = np.concatenate(([0.0], np.cumsum(d))), np.concatenate(([0.0], np.cumsum(d * d)))
    mm = np.maximum(m, 1)
    shift = c1[m] / mm
    mean_b = mean + shift
    std_b = np.sqrt(np.maximum(c2[m] / mm - shift * shift, 0.0))
    mean_term = (mean - mean_b) / mean if mean != 0 else np.zeros_like(mean_b)
    score = (mean_term + (std - std_b) / std) / np.maximum(n_seq**2 + n_anom, 1)
    ok = (n_anom > 0) & (n_seq <= MAX_SEQUENCES) & (n_anom < W * MAX_FRACTION)
    if not ok.any():
        return float(mean + SD_LIMIT * std)
    best = np.flatnonzero(ok & (score == score[ok].max()))[-1]
    return float(eps[best])


def prune(maxima: NDArray[np.float64], non_anomalous_max: float, p: float = 0.13) -> NDArray[np.bool_]:
    """Which sequences stay anomalous (``ErrorWindow.prune_anoms``; paper §3.3 "Mitigating false positives").

    The sequences' maxima, sorted in decreasing order and followed by the
    largest non-anomalous value, give the drops ``d_i = (m_i - m_{i+1}) / m_i``.
    The sequences down to the last ``i`` with ``d_i >= p`` stay anomalous;
    the others are reclassified as nominal.

    >>> prune(np.array([10.0, 9.5, 5.0]), 4.8, p=0.13).tolist()
    [True, True, False]
    """
    if maxima.size == 0:
        return np.zeros(0, dtype=bool)
    ranked = np.append(np.sort(maxima)[::-1], non_anomalous_max)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (ranked[:-1] - ranked[1:]) / ranked[:-1]
    big = np.flatnonzero(np.nan_to_num(d, nan=0.0) >= p)
    if big.size == 0:
        return np.zeros(maxima.size, dtype=bool)
    return maxima >= ranked[big[-1]]


def _judge(
    e: NDArray[np.float64], eps: float, j0: int, earlier: NDArray[np.bool_], buffer: int, p: float
) -> NDArray[np.bool_]:
    """Alarms among ``e[j0:]`` (``compare_to_epsilon`` + ``prune_anoms``); ``earlier`` = alarms already raised."""
    flag = _dilate(e >= eps, buffer)
    flag[:j0] = False
    rest = ~(flag | earlier)
    non_anom_max = float(e[rest].max()) if rest.any() else -np.inf
    edges = np.diff(np.concatenate(([0], flag.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        return flag
    maxima = np.array([e[s:t].max() for s, t in zip(starts.tolist(), ends.tolist(), strict=True)])
    keep = prune(maxima, non_anom_max, p)
    out = np.zeros_like(flag)
    for s, t in zip(starts[keep].tolist(), ends[keep].tolist(), strict=True):
        out[s:t] = True
    return out


def dynamic_threshold(
    errors: ArrayLike,
    *,
    window: int = 2100,
    batch: int = 70,
    error_buffer: int = 100,
    p: float = 0.13,
    inverse: bool = True,
) -> DynamicThreshold:
    """Telemanom's alarms on a series of (smoothed) errors: per-window thresholds, then pruning.

    The first ``window`` errors (all of them if fewer) are judged together;
    after that, every ``batch`` errors are judged with the ``window`` errors
    that end with them (the last batch may be shorter). In each window,
    with ``mean`` and ``std`` of its errors: ``eps`` from :func:`find_epsilon`;
    points ``>= eps``, widened by ``error_buffer`` on each side, are flagged
    among the points being judged; each run of flagged points is a sequence,
    and :func:`prune` keeps those whose maximum stands out from the next one
    and from the largest unflagged error in the window (alarms raised by
    earlier windows excluded). With ``inverse`` (telemanom's default) the
    same is done on the errors mirrored about the mean, ``2 * mean - e``,
    so unusually *low* errors are flagged too; a point is an alarm when
    either says so. A window whose errors are constant flags nothing.

    Causality: a point is judged with errors up to the end of its batch
    (at most ``batch - 1`` later points; within the first window, up to
    ``window - 1``), as in telemanom's batch processing.

    >>> e = np.r_[np.tile([1.0, 1.2, 0.8, 1.0], 50), 9.0, np.tile([1.0, 1.2, 0.8, 1.0], 50)]
    >>> r = dynamic_threshold(e, window=200, batch=50, error_buffer=2, inverse=False)
    >>> np.flatnonzero(r.alarms).tolist()
    [200, 201, 202]
    """
    e = as_scores(errors, "errors")
    for key, value, low in (("window", window, 2), ("batch", batch, 1), ("error_buffer", error_buffer, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ParameterError(f"dynamic_threshold: {key} must be an integer >= {low}; got {value!r}.")
    if not np.isfinite(p) or p < 0:
        raise ParameterError(f"dynamic_threshold: p must be a fraction >= 0; got {p!r}.")
    n = e.size
    alarms = np.zeros(n, dtype=bool)
    first = min(window, n)
    ends = [first, *range(first + batch, n, batch)] if n else []
    if ends and ends[-1] < n:
        ends.append(n)
    eps_list: list[float] = []
    prev_end = 0
    for end in ends:
        start = max(0, end - window)
        w = e[start:end]
        j0 = prev_end - start
        mean, std = float(w.mean()), float(w.std())
        eps = mean + SD_LIMIT * std
        if std > 0:
            eps = find_epsilon(w, mean, std, error_buffer)
            found = _judge(w, eps, j0, alarms[start:end], error_buffer, p)
            if inverse:
                w_inv = 2.0 * mean - w
                eps_inv = find_epsilon(w_inv, mean, std, error_buffer)
                found |= _judge(w_inv, eps_inv, j0, alarms[start:end], error_buffer, p)
            alarms[start:end] |= found
        eps_list.append(eps)
        prev_end = end
    return DynamicThreshold(alarms, np.array(eps_list), np.array(ends, dtype=np.int64))
