"""Causal, streaming statistical baselines: rolling z-score, rolling MAD, and NAB's windowed Gaussian.

All three compare a point with the points before it (never with itself or
the future), so ``score(X)[:k]`` depends on ``X[:k]`` only, and each has an
``update(x)`` that scores a point and then adds it to the history. After
``fit(train)``, a sequence of ``update`` calls continues from the end of the
training data: the scores equal ``score(concatenate(train, stream))`` on the
stream's rows (tested).

``fit`` learns no model: the history a score uses is the series' own past.
It validates the parameters and the data and primes the streaming state
with the end of the training data.

Sources
-------
- z-score: the classic rolling standardised residual (e.g. Chandola,
  Banerjee & Kumar, "Anomaly Detection: A Survey", ACM CSUR 2009, §7).
- MAD: the robust "modified z-score" of Iglewicz & Hoaglin, "How to Detect
  and Handle Outliers" (ASQC 1993), ``|x - median| / (1.4826 MAD)``.
- windowed Gaussian: Numenta Anomaly Benchmark, ``nab/detectors/gaussian/
  windowedGaussian_detector.py`` (numenta/NAB, MIT licence), reproduced to
  1e-9 on all 58 NAB series by ``tests/test_gaussian_nab.py``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import erfc

from bench.detectors import _windows
from bench.detectors.base import Detector, check_positive_int, fill_warmup

#: Smallest spread a rolling window is given: a flat window (spread 0) turns
#: any change into a very large but finite score and an unchanged value into 0.
MIN_SCALE = 1e-8


class _RollingDetector(Detector):
    """Shared machinery: score ``x[t]`` against ``X[t-w : t]`` by ``|x - center| / scale``, max over channels."""

    seed_param: ClassVar[str | None] = None  # deterministic

    def __init__(self, *, window_size: int = 100) -> None:
        self.window_size = window_size

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"window_size": 30}

    def min_series_length(self) -> int:
        """``window_size + 1``: the first w points of a series are warm-up (score 0), so a series of w points
        or fewer would be scored constant. Fitting needs no full window (a short history scores warm-up)."""
        w = self.window_size  # checked by _validate_params, which runs after this
        return w + 1 if isinstance(w, int) and not isinstance(w, bool) and w >= 1 else 1

    def _min_series_length_why(self) -> str:
        return f"window_size={self.window_size} points of warm-up come before the first real score"

    def _validate_params(self) -> None:
        check_positive_int(type(self).__name__, "window_size", self.window_size, minimum=2)

    @staticmethod
    def _reduce(block: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        raise NotImplementedError

    def _fit(self, X: NDArray[np.float64]) -> None:
        self.n_warmup_ = int(self.window_size)
        self._history = X[-self.window_size :].copy()

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        w = int(self.window_size)
        center, scale = _windows.previous_window_stats(X, w, self._reduce)
        scores = np.zeros(X.shape[0], dtype=np.float64)
        if center.shape[0]:
            scores[w:] = (np.abs(X[w:] - center) / np.maximum(scale, MIN_SCALE)).max(axis=1)
        return fill_warmup(scores, w, floor=0.0)

    def _update(self, v: NDArray[np.float64]) -> float:
        """Score one point against the last ``window_size`` points seen, then add it to them.

        While fewer than ``window_size`` points have been seen (training data
        included) the point is a warm-up point and scores 0.0.
        """
        score = 0.0
        if self._history.shape[0] == self.window_size:
            c, s = self._reduce(_windows.buffer_block(self._history))
            score = float((np.abs(v - c[0]) / np.maximum(s[0], MIN_SCALE)).max())
        self._history = _windows.push(self._history, v, int(self.window_size))
        return score


class ZScoreDetector(_RollingDetector):
    """Rolling z-score: ``|x[t] - mean| / std`` over the previous ``window_size`` points.

    Parameters
    ----------
    window_size
        w, the number of preceding points whose mean and (population)
        standard deviation a point is compared with. The first w points of a
        scored series have no full history: they score 0.0 (``n_warmup_ = w``),
        so a run refuses series of w points or fewer (``min_series_length()``).

    Notes
    -----
    Multivariate input: each channel is standardised separately and the
    score is the maximum of the channels' ``|z|`` (an alarm when any channel
    leaves its band). A flat window (standard deviation 0, e.g. constant
    input) uses a spread of ``MIN_SCALE = 1e-8``: a repeated value scores 0,
    any change scores very high. Work per ``update``: O(w).
    """

    @staticmethod
    def _reduce(block: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return block.mean(axis=2), block.std(axis=2)


class MADDetector(_RollingDetector):
    """Rolling modified z-score: ``|x[t] - median| / (1.4826 MAD)`` over the previous ``window_size`` points.

    Parameters
    ----------
    window_size
        w, the number of preceding points whose median and median absolute
        deviation (MAD) a point is compared with. The first w points of a
        scored series score 0.0 (``n_warmup_ = w``); a run refuses series of
        w points or fewer (``min_series_length()``).

    Notes
    -----
    Robust to outliers: a spike inside the window moves neither the median
    nor the MAD much (breakdown point 50%). ``1.4826 MAD`` estimates the
    standard deviation of Gaussian data (Iglewicz & Hoaglin 1993). When more
    than half the window shares one value the MAD is 0; the scale then falls
    back to ``1.2533 * mean absolute deviation`` (the same estimate from the
    mean deviation, as in the usual modified z-score convention), and a
    window with no spread at all (constant input) uses ``MIN_SCALE = 1e-8``.
    Multivariate input: maximum over channels, as for :class:`ZScoreDetector`.
    """

    @staticmethod
    def _reduce(block: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        median = np.median(block, axis=2)
        dev = np.abs(block - median[:, :, None])
        mad = np.median(dev, axis=2)
        scale = np.where(mad > 0, 1.4826 * mad, 1.2533 * dev.mean(axis=2))
        return median, scale


# --------------------------------------------------------------------------- NAB's windowed Gaussian

_SQRT2 = math.sqrt(2.0)


def _nab_score(x: NDArray[np.float64], mean: NDArray[np.float64], std: NDArray[np.float64]) -> NDArray[np.float64]:
    """NAB's score ``1 - Q(|x - mean| / std)``, with its own arithmetic (reflect below the mean, then subtract)."""
    xp = np.where(x < mean, 2.0 * mean - x, x)
    return 1.0 - 0.5 * erfc(((xp - mean) / std) / _SQRT2)


def _welford(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and population std of every prefix ``x[:k]``, k = 1..len(x) (Welford's stable recurrence)."""
    means = np.empty(x.shape[0])
    stds = np.empty(x.shape[0])
    mean, m2 = 0.0, 0.0
    for k, v in enumerate(x.tolist(), start=1):
        delta = v - mean
        mean += delta / k
        m2 += delta * (v - mean)
        means[k - 1] = mean
        stds[k - 1] = math.sqrt(m2 / k)
    return means, stds


def _no_zero(std: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(std == 0.0, 1e-6, std)


class GaussianDetector(Detector):
    """NAB's windowed Gaussian: ``1 - Q(|x - mean| / std)`` from a window of previous points.

    Reproduces ``WindowedGaussianDetector`` of the Numenta Anomaly Benchmark
    (numenta/NAB, ``nab/detectors/gaussian/windowedGaussian_detector.py``):
    the window grows by one point per row up to ``window_size`` points, then
    slides forward by ``step_size`` points once every ``step_size`` rows;
    mean and population standard deviation are recomputed whenever the
    window changes. The score of a row is ``1 - Q(z)``, ``Q`` the standard
    normal tail probability and ``z = |x - mean| / std``, so it lies in
    [0.5, 1) for every row except the first, which NAB scores 0.0
    (``n_warmup_ = 1``; 0.0 is below every real score).

    Parameters
    ----------
    window_size, step_size
        NAB's tuned values are 6400 and 100.

    Notes
    -----
    How ``fit`` and ``score`` relate: NAB feeds each series row by row from
    its first row, treating the probationary part like any other row. So
    ``score(X)`` replays NAB on ``X`` from ``X[0]`` and does not depend on the
    training data; with the runner's protocol (fit on the first 15%, score
    the whole series) the scores equal NAB's output. ``fit(train)`` leaves
    the detector in NAB's state after the training rows, so ``update`` calls
    continue the series (and reproduce ``score(concatenate(train, stream))``).

    Edge cases, as in NAB: a window with standard deviation exactly 0
    (constant input) uses 1e-6, so a repeated value scores 0.5 and any other
    value scores 1.0. Prefix statistics use Welford's recurrence instead of
    NAB's repeated ``numpy.mean``/``std`` (same values to ~1e-15, O(1) per
    row); full windows use ``numpy.mean``/``std`` like NAB. The two can
    differ only on a constant prefix of values that are not exact binary
    fractions (e.g. 0.1, 0.1, 0.1: NAB's ``numpy.std`` gives 1e-17, Welford
    exactly 0, hence 1e-6); no NAB series has one. Univariate only.
    ``update`` costs O(1) per row, plus an O(window_size) recomputation
    once every ``step_size`` rows after the window is full.
    """

    multivariate = False
    seed_param: ClassVar[str | None] = None  # deterministic

    def __init__(self, *, window_size: int = 6400, step_size: int = 100) -> None:
        self.window_size = window_size
        self.step_size = step_size

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"window_size": 100, "step_size": 10}

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_positive_int(name, "window_size", self.window_size)
        check_positive_int(name, "step_size", self.step_size)

    def _stats(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and std NAB uses to score ``x[t]``, for t = 1..n-1 (the window before row t)."""
        W, S, n = int(self.window_size), int(self.step_size), x.shape[0]
        mean = np.empty(max(n - 1, 0))
        std = np.empty(max(n - 1, 0))
        g = min(n - 1, W)  # rows 1..g score against the growing prefix x[:t]
        mean[:g], std[:g] = _welford(x[:g])
        if n - 1 > W:
            t = np.arange(W + 1, n)
            k = (t - W) // S  # completed slides before row t
            mean[W:], std[W:] = mean[W - 1], std[W - 1]  # k == 0: still the first full window
            if k[-1] >= 1:
                view = np.lib.stride_tricks.sliding_window_view(x, W)[S::S][: k[-1]]  # windows k = 1..K
                rows = max(1, _windows.CHUNK_VALUES // W)
                wm, ws = np.empty(view.shape[0]), np.empty(view.shape[0])
                for a in range(0, view.shape[0], rows):
                    block = np.ascontiguousarray(view[a : a + rows])
                    wm[a : a + rows] = block.mean(axis=1)
                    ws[a : a + rows] = block.std(axis=1)
                slid = k >= 1
                mean[W:][slid], std[W:][slid] = wm[k[slid] - 1], ws[k[slid] - 1]
        return mean, _no_zero(std)

    def _fit(self, X: NDArray[np.float64]) -> None:
        x = X[:, 0]
        W, S, n = int(self.window_size), int(self.step_size), x.shape[0]
        self.n_warmup_ = 1
        self._count = min(n, W)  # points in the window
        self._welford_state = _welford_state(x[: self._count])
        self._growing: list[float] = x.tolist() if n < W else []  # the window while it is not full
        self._pending: list[float] = []  # rows waiting for the next slide
        if n <= W:
            self._window = x.copy()
            self._mean, self._std = self._welford_state[1], self._welford_std()
            return
        k = (n - W) // S
        self._window = x[k * S : k * S + W].copy()
        self._pending = x[W + k * S :].tolist()
        if k == 0:
            self._mean, self._std = self._welford_state[1], self._welford_std()
        else:
            self._mean, self._std = float(self._window.mean()), float(self._window.std())

    def _welford_std(self) -> float:
        count, _, m2 = self._welford_state
        return math.sqrt(m2 / count)

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        x = X[:, 0]
        scores = np.zeros(x.shape[0], dtype=np.float64)
        if x.shape[0] > 1:
            mean, std = self._stats(x)
            scores[1:] = _nab_score(x[1:], mean, std)
        return fill_warmup(scores, 1, floor=0.0)

    def _update(self, x: NDArray[np.float64]) -> float:
        """Score one row with the current window's statistics, then add it (NAB's ``handleRecord``)."""
        v = float(x[0])
        std = self._std if self._std != 0.0 else 1e-6
        score = float(_nab_score(np.array([v]), np.array([self._mean]), np.array([std]))[0])
        W, S = int(self.window_size), int(self.step_size)
        if self._count < W:
            self._welford_state = _welford_step(self._welford_state, v)
            self._growing.append(v)
            self._count += 1
            if self._count == W:
                self._window, self._growing = np.array(self._growing), []
            self._mean, self._std = self._welford_state[1], self._welford_std()
        else:
            self._pending.append(v)
            if len(self._pending) == S:
                self._window = np.concatenate((self._window[S:], self._pending))
                self._pending = []
                self._mean, self._std = float(self._window.mean()), float(self._window.std())
        return score


def _welford_state(x: NDArray[np.float64]) -> tuple[int, float, float]:
    """(count, mean, M2) after Welford's recurrence over ``x``: the state :func:`_welford` ends in."""
    state = (0, 0.0, 0.0)
    for v in x.tolist():
        state = _welford_step(state, v)
    return state


def _welford_step(state: tuple[int, float, float], v: float) -> tuple[int, float, float]:
    count, mean, m2 = state
    count += 1
    delta = v - mean
    mean += delta / count
    m2 += delta * (v - mean)
    return count, mean, m2
