"""NAB's score (Lavin & Ahmad 2015): windowed, sigmoid-weighted detections, corpus threshold, normalisation.

This module reproduces the scorer of the Numenta Anomaly Benchmark as it is
implemented in ``numenta/NAB`` at commit ``ea702d75`` (``nab/sweeper.py``,
``nab/optimizer.py``, ``nab/scorer.py``, ``nab/runner.py::normalize``), with
the same conventions, but vectorised: the score of a whole corpus as a
function of the threshold is a step function that is built from one sort and
one cumulative sum instead of NAB's Python loop over every row.

The rules, per series (``n`` rows, anomaly windows as half-open index ranges
``[start, end)``, the first ``probationary`` rows not scored):

- a row is *detected* at threshold ``t`` when its score is ``>= t``;
- a row inside a window of width ``w`` whose last row is ``r`` has the weight
  ``S = sigma(-(r - i + 1) / w) * A_tp / sigma(-1)`` with the scaled sigmoid
  ``sigma(x) = 2 / (1 + exp(5 x)) - 1`` (``sigma(x) = -1`` for ``x > 3``), so
  the first row of a window is worth exactly ``A_tp`` and later rows less;
- a window is worth the weight of its earliest detected scored row, or
  ``-A_fn`` when none of its scored rows is detected (a window with no scored
  row at all, i.e. entirely inside the probationary period, counts for
  nothing);
- every detected row outside all windows adds ``sigma((i - r) / (w - 1)) *
  A_fp`` where ``r`` and ``w`` belong to the nearest window that ended before
  it, or ``-A_fp`` when no window precedes it;
- the corpus score is the sum over series; the threshold is the one that
  maximises it, searched over every distinct score of a scored row (highest
  threshold on ties, as NAB's stable sort does), plus "no detection at all"
  (reported as threshold 1.1, as NAB does);
- normalised score ``100 (raw - null) / (perfect - null)``, where ``null`` is
  the optimised raw score of NAB's null detector (a constant score, so either
  nothing or everything is detected; in practice ``-A_fn`` per scored window)
  and ``perfect = A_tp`` times the number of windows in the corpus.

References
----------
Lavin, A. & Ahmad, S. (2015). Evaluating real-time anomaly detection
algorithms -- the Numenta Anomaly Benchmark. IEEE ICMLA.
Ahmad, S., Lavin, A., Purdy, S. & Agha, Z. (2017). Unsupervised real-time
anomaly detection for streaming data. Neurocomputing 262.
numenta/NAB (MIT licence), https://github.com/numenta/NAB, files named above.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import DataError, ParameterError
from bench.metrics._validate import scores as _finite_scores

PROFILE_NAMES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
PROBATIONARY_PERCENT = 0.15
NO_DETECTION_THRESHOLD = 1.1  # NAB's label for "nothing detected" (scores live in [0, 1])


class Profile(NamedTuple):
    """One NAB cost profile (``CostMatrix`` in NAB's ``config/profiles.json``)."""

    tp: float
    fp: float
    fn: float
    tn: float = 1.0  # present in NAB's file, unused by its scorer


class NabSeries(NamedTuple):
    """One series as the NAB scorer sees it: scores, windows, probationary length."""

    scores: ArrayLike
    windows: Sequence[tuple[int, int]]
    probationary: int


class NabSeriesResult(NamedTuple):
    """Score of one series at one threshold, with NAB's row counts (scored rows only)."""

    score: float
    tp: int
    fp: int
    fn: int
    tn: int


class NabResult(NamedTuple):
    """Corpus result for one profile."""

    threshold: float
    raw_score: float
    normalised_score: float


def _data_file(name: str) -> Any:
    return resources.files("bench.metrics").joinpath("data").joinpath(name)


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """NAB's three cost profiles, from the shipped copy of ``config/profiles.json`` (or ``path``)."""
    text = Path(path).read_text() if path is not None else _data_file("profiles.json").read_text()
    raw = json.loads(text)
    return {
        name: Profile(
            tp=float(m["tpWeight"]),
            fp=float(m["fpWeight"]),
            fn=float(m["fnWeight"]),
            tn=float(m.get("tnWeight", 1.0)),
        )
        for name, entry in raw.items()
        for m in [entry["CostMatrix"]]
    }


def published_scores(path: str | Path | None = None) -> dict[str, dict[str, float]]:
    """NAB's published scoreboard (``results/final_results.json``): detector -> profile -> score.

    These are the numbers NAB publishes; some were produced by an older
    optimiser and differ slightly from what NAB's current code computes (e.g.
    numenta, reward_low_FP_rate: 63.117 published, 63.209 recomputed).
    """
    if path is not None:
        text = Path(path).read_text()
    else:
        text = _data_file("published_final_results.json").read_text()
    raw = json.loads(text)
    return {det: {prof: float(v) for prof, v in profs.items()} for det, profs in raw.items()}


def nab_probationary_length(n: int, percent: float = PROBATIONARY_PERCENT) -> int:
    """Rows NAB leaves unscored at the start of an ``n``-row file: ``min(floor(0.15 n), 750)``.

    NAB (``Sweeper._getProbationaryLength``) compares the row index with
    ``min(floor(percent * n), percent * 5000)``; this returns the number of
    row indices below that bound.
    """
    return int(math.ceil(min(math.floor(percent * n), percent * 5000)))


def scaled_sigmoid(x: ArrayLike) -> NDArray[np.float64]:
    """NAB's scaled sigmoid ``2 / (1 + exp(5 x)) - 1``, and ``-1`` for ``x > 3``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        val = 2.0 * (1.0 / (1.0 + np.exp(5.0 * np.minimum(x, 3.0)))) - 1.0
    return np.where(x > 3.0, -1.0, val)


_MAX_TP = float(scaled_sigmoid(-1.0))


def _check_profile(profile: Profile) -> Profile:
    p = Profile(*profile) if not isinstance(profile, Profile) else profile
    for name in ("tp", "fp", "fn"):
        v = getattr(p, name)
        if not (math.isfinite(v) and v >= 0):
            raise ParameterError(f"NAB profile weight {name}={v!r} must be finite and >= 0; use load_profiles().")
    return p


class _Prepared(NamedTuple):
    """Profile-independent pieces of one series (scored rows only)."""

    s: NDArray[np.float64]  # scores of the scored rows
    win: NDArray[np.int64]  # local window id of each scored row, -1 outside windows
    unit: NDArray[np.float64]  # unweighted sigmoid of each scored row (window or FP)
    n_scored_windows: int
    n_windows: int


def _prepare(series: NabSeries, where: str = "series") -> _Prepared:
    s_all = _finite_scores(series.scores, f"{where} scores")
    n = s_all.shape[0]
    prob = int(series.probationary)
    if not 0 <= prob <= n:
        raise DataError(f"{where}: probationary={prob} outside [0, {n}]; use nab_probationary_length(n).")
    bounds = np.asarray(list(series.windows), dtype=np.int64).reshape(-1, 2)
    starts, ends = bounds[:, 0], bounds[:, 1]
    if np.any(starts < 0) or np.any(ends > n) or np.any(ends <= starts) or np.any(starts[1:] < ends[:-1]):
        raise DataError(
            f"{where}: windows must be sorted, non-overlapping, non-empty [start, end) ranges "
            f"within [0, {n}]; got {[tuple(map(int, b)) for b in bounds]}."
        )
    idx = np.arange(n)
    win = np.full(n, -1, dtype=np.int64)
    unit = np.empty(n, dtype=np.float64)
    for k, (a, b) in enumerate(bounds):
        win[a:b] = k
        # sweeper.py: positionInWindow = -(right - i + 1) / width
        unit[a:b] = scaled_sigmoid(-(b - 1 - idx[a:b] + 1) / float(b - a))
    out = win < 0
    # nearest window that ended before row i (its last row r = end - 1 < i)
    prev = np.searchsorted(ends, idx[out], side="right") - 1
    has_prev = prev >= 0
    fp_unit = np.full(int(out.sum()), -1.0)
    if has_prev.any():
        p = prev[has_prev]
        width = (ends[p] - starts[p]).astype(np.float64)
        with np.errstate(divide="ignore"):  # width-1 window: NAB divides by zero; we say "far away"
            pos = np.abs((ends[p] - 1) - idx[out][has_prev]) / (width - 1.0)
        fp_unit[has_prev] = scaled_sigmoid(pos)
    unit[out] = fp_unit
    scored_windows = int(np.count_nonzero(ends > prob))
    return _Prepared(s_all[prob:], win[prob:], unit[prob:], scored_windows, len(bounds))


def nab_row_weights(n: int, windows: Sequence[tuple[int, int]], profile: Profile) -> NDArray[np.float64]:
    """NAB's per-row sweep score ``S(t)`` (the ``S(t)_<profile>`` column NAB writes to result files)."""
    prep = _prepare(NabSeries(np.zeros(n), windows, 0))
    return _weights(prep, _check_profile(profile))


def _weights(prep: _Prepared, profile: Profile) -> NDArray[np.float64]:
    inside = prep.win >= 0
    return np.where(inside, prep.unit * profile.tp / _MAX_TP, prep.unit * profile.fp)


def _score_prepared(prep: _Prepared, threshold: float, profile: Profile) -> NabSeriesResult:
    w = _weights(prep, profile)
    active = prep.s >= threshold
    inside = prep.win >= 0
    fp_rows = active & ~inside
    hit = active & inside
    # earliest detected row of each window (window ids are non-decreasing along the rows)
    ids = prep.win[hit]
    first = np.flatnonzero(np.append(True, ids[1:] != ids[:-1])) if ids.size else ids
    tp_part = float(np.sum(w[hit][first]))
    fn_part = -profile.fn * (prep.n_scored_windows - first.size)
    score = float(np.sum(w[fp_rows])) + tp_part + fn_part
    n_in = int(inside.sum())
    n_hit = int(hit.sum())
    n_fp = int(fp_rows.sum())
    return NabSeriesResult(score, n_hit, n_fp, n_in - n_hit, prep.s.size - n_in - n_fp)


def nab_series_score(
    scores: ArrayLike,
    windows: Sequence[tuple[int, int]],
    probationary: int,
    threshold: float,
    profile: Profile,
) -> NabSeriesResult:
    """NAB score of one series at a given threshold (``Sweeper.scoreDataSet``).

    Parameters
    ----------
    scores
        ``(n,)`` finite anomaly scores; a row is detected when its score is ``>= threshold``.
    windows
        Anomaly windows as sorted, non-overlapping half-open index ranges ``[start, end)``.
    probationary
        Number of leading rows that are not scored (:func:`nab_probationary_length`).
    threshold
        Detection threshold.
    profile
        Cost weights (:func:`load_profiles`).

    Returns
    -------
    NabSeriesResult
        The score and NAB's counts of scored rows: ``tp`` detected rows inside
        windows, ``fp`` detected rows outside, ``fn`` undetected rows inside,
        ``tn`` undetected rows outside (NAB's per-file table counts rows, not windows).

    Notes
    -----
    Edge cases: no window gives ``sum of FP weights`` (0 without detections);
    a window entirely inside the probationary period counts for nothing; a
    window that starts inside it is scored on its remaining rows, keeping the
    weights of the full window. A row after a window of width 1 is treated as
    far from it (weight ``-A_fp``), where NAB divides by zero.
    """
    prep = _prepare(NabSeries(scores, windows, probationary))
    return _score_prepared(prep, float(threshold), _check_profile(profile))


class _Sweep(NamedTuple):
    """The corpus as events on the threshold axis, sorted by decreasing threshold."""

    thresholds: NDArray[np.float64]  # distinct event thresholds, decreasing
    group_end: NDArray[np.int64]  # index of the last event of each threshold group
    a_fp: NDArray[np.float64]  # per event: coefficient of A_fp
    a_tp: NDArray[np.float64]  # coefficient of A_tp / sigma(-1)
    a_fn: NDArray[np.float64]  # coefficient of A_fn
    n_scored_windows: int
    n_windows: int
    none_threshold: float
    rows: _Prepared  # every scored row of the corpus, window ids made corpus-wide


def _build_sweep(corpus: Sequence[NabSeries]) -> _Sweep:
    prepared = tuple(_prepare(NabSeries(*rec), f"corpus[{i}]") for i, rec in enumerate(corpus))
    thr, a_fp, a_tp, a_fn = [], [], [], []
    top = -np.inf
    for prep in prepared:
        if prep.s.size:
            top = max(top, float(prep.s.max()))
        out = prep.win < 0
        thr.append(prep.s[out])
        a_fp.append(prep.unit[out])
        a_tp.append(np.zeros(int(out.sum())))
        a_fn.append(np.zeros(int(out.sum())))
        # window rows are contiguous per window; split them by window id
        in_idx = np.flatnonzero(~out)
        if in_idx.size == 0:
            continue
        cuts = np.flatnonzero(np.diff(prep.win[in_idx])) + 1
        for seg in np.split(in_idx, cuts):
            s, u = prep.s[seg], prep.unit[seg]
            # records: rows whose score beats every earlier row of the window
            rec = np.ones(s.size, dtype=bool)
            rec[1:] = s[1:] > np.maximum.accumulate(s)[:-1]
            rs, ru = s[rec], u[rec]
            du = np.empty(ru.size)
            du[:-1] = ru[:-1] - ru[1:]  # moving the earliest detection to an earlier record
            du[-1] = ru[-1]  # first detection in this window (plus the FN cost it removes)
            fn = np.zeros(ru.size)
            fn[-1] = 1.0
            thr.append(rs)
            a_fp.append(np.zeros(ru.size))
            a_tp.append(du)
            a_fn.append(fn)
    t = np.concatenate(thr) if thr else np.zeros(0)
    # decreasing thresholds; the order inside a group of equal thresholds does not matter
    order = np.argsort(t)[::-1]
    t = t[order]
    group_end = np.flatnonzero(np.append(t[1:] != t[:-1], True)) if t.size else np.zeros(0, np.int64)
    none_thr = NO_DETECTION_THRESHOLD if top < NO_DETECTION_THRESHOLD else float(np.nextafter(top, np.inf))
    fp_c, tp_c, fn_c = (np.concatenate(a)[order] if a else np.zeros(0) for a in (a_fp, a_tp, a_fn))
    offsets = np.cumsum([0] + [p.n_windows for p in prepared])
    rows = _Prepared(
        np.concatenate([p.s for p in prepared]) if prepared else np.zeros(0),
        np.concatenate([np.where(p.win >= 0, p.win + o, -1) for p, o in zip(prepared, offsets, strict=False)])
        if prepared
        else np.zeros(0, np.int64),
        np.concatenate([p.unit for p in prepared]) if prepared else np.zeros(0),
        sum(p.n_scored_windows for p in prepared),
        int(offsets[-1]),
    )
    return _Sweep(
        t[group_end],
        group_end,
        fp_c,
        tp_c,
        fn_c,
        n_scored_windows=rows.n_scored_windows,
        n_windows=rows.n_windows,
        none_threshold=none_thr,
        rows=rows,
    )


def _curve(sweep: _Sweep, profile: Profile) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    base = -profile.fn * sweep.n_scored_windows
    delta = sweep.a_fp * profile.fp + sweep.a_tp * (profile.tp / _MAX_TP) + sweep.a_fn * profile.fn
    values = base + np.cumsum(delta)[sweep.group_end] if delta.size else np.zeros(0)
    return (
        np.concatenate(([sweep.none_threshold], sweep.thresholds)),
        np.concatenate(([base], values)),
    )


def nab_sweep(corpus: Sequence[NabSeries], profile: Profile) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The corpus raw score at every threshold where it can change (``Sweeper.calcScoreByThreshold``).

    Returns ``(thresholds, raw_scores)`` with thresholds decreasing, starting
    with the "no detection" threshold (1.1, or just above the largest score when
    scores reach 1.1). Between two consecutive thresholds the score is constant.
    """
    return _curve(_build_sweep(corpus), _check_profile(profile))


def _best(sweep: _Sweep, profile: Profile) -> tuple[float, float]:
    thresholds, values = _curve(sweep, profile)
    k = int(np.argmax(values))  # first maximum = highest threshold, as NAB's stable sort
    return float(thresholds[k]), float(values[k])


def nab_optimise_threshold(corpus: Sequence[NabSeries], profile: Profile) -> tuple[float, float]:
    """The threshold that maximises the corpus raw score, and that score (``nab/optimizer.py``).

    Every distinct score of a scored row is a candidate (no grid search); ties
    go to the highest threshold. "Nothing detected" is a candidate too, reported
    as threshold 1.1 like NAB; when some score is ``>= 1.1`` it is reported as
    the next float above the largest score instead (NAB would still say 1.1,
    which its own ``>=`` rule then contradicts). Probationary rows are not
    candidates, as in NAB.
    """
    return _best(_build_sweep(corpus), _check_profile(profile))


def nab_normalise(raw: float, null_raw: float, perfect_raw: float) -> float:
    """``100 (raw - null) / (perfect - null)`` (``Runner.normalize``): null detector 0, perfect 100."""
    if not perfect_raw > null_raw:
        raise DataError(
            f"NAB normalisation needs perfect > null; got perfect={perfect_raw}, null={null_raw}. "
            "The corpus has no scored anomaly window: NAB's score is undefined without one."
        )
    return 100.0 * (raw - null_raw) / (perfect_raw - null_raw)


def _null_raw(sweep: _Sweep, profile: Profile) -> float:
    base = -profile.fn * sweep.n_scored_windows
    # a constant score detects nothing or every scored row; scored the same way as any detector
    everything = _score_prepared(sweep.rows, -np.inf, profile).score
    return max(base, everything)


def nab_null_raw(corpus: Sequence[NabSeries], profile: Profile) -> float:
    """Optimised raw score of NAB's null detector (constant score) on this corpus's windows."""
    return _null_raw(_build_sweep(corpus), _check_profile(profile))


def nab_perfect_raw(corpus: Sequence[NabSeries], profile: Profile) -> float:
    """NAB's perfect score: ``A_tp`` times the number of windows (all of them, as ``Runner.normalize``)."""
    return _check_profile(profile).tp * sum(len(rec[1]) for rec in corpus)


def nab_corpus(corpus: Sequence[NabSeries], profiles: Mapping[str, Profile] | None = None) -> dict[str, NabResult]:
    """NAB's full pipeline for one detector: optimise, score, normalise, for every profile.

    Parameters
    ----------
    corpus
        One :class:`NabSeries` ``(scores, windows, probationary)`` per series.
    profiles
        Name -> :class:`Profile`; defaults to NAB's three (:func:`load_profiles`).

    Returns
    -------
    dict
        Profile name -> :class:`NabResult` ``(threshold, raw_score, normalised_score)``.
        ``raw_score`` is recomputed at the optimised threshold from the rows
        (window by window, as NAB's scoring step does), not read off the sweep.
    """
    profiles = load_profiles() if profiles is None else profiles
    sweep = _build_sweep(corpus)
    out: dict[str, NabResult] = {}
    for name, prof in profiles.items():
        prof = _check_profile(prof)
        threshold, _ = _best(sweep, prof)
        raw = _score_prepared(sweep.rows, threshold, prof).score
        null = _null_raw(sweep, prof)
        perfect = prof.tp * sweep.n_windows
        out[name] = NabResult(threshold, float(raw), nab_normalise(raw, null, perfect))
    return out


def nab_corpus_scores(corpus: Sequence[NabSeries], threshold: float, profile: Profile) -> list[NabSeriesResult]:
    """Per-series results at one threshold (the rows of NAB's ``<detector>_<profile>_scores.csv``)."""
    prof = _check_profile(profile)
    return [
        _score_prepared(_prepare(NabSeries(*rec), f"corpus[{i}]"), float(threshold), prof)
        for i, rec in enumerate(corpus)
    ]
