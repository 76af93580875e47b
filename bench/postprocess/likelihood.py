"""NAB/HTM anomaly likelihood: how unlikely the recent average raw score is under a Gaussian fitted to its past.

Source: Ahmad, Lavin, Purdy & Agha, "Unsupervised real-time anomaly
detection for streaming data", Neurocomputing 262 (2017), §3.3, and the code
that produced NAB's published "numenta" results: NuPIC's
``src/nupic/algorithms/anomaly_likelihood.py`` (``AnomalyLikelihood``,
``estimateAnomalyLikelihoods``, ``updateAnomalyLikelihoods``,
``_filterLikelihoods``, ``estimateNormal``, ``tailProbability``) as called by
NAB's ``nab/detectors/numenta/numenta_detector.py``. Reimplemented, not
copied; ``tests/test_postprocess_likelihood.py`` reproduces NAB's stored
numenta scores on all 58 NAB series (with :mod:`bench.postprocess.spatial`)
and ports NuPIC's unit-test cases.

Per point ``t`` (replayed from the first score):

1. ``m_t``: mean of the last ``averaging_window`` raw scores (fewer at the start).
2. Every ``reestimation_period`` points (and at the first scored point),
   a Gaussian ``(mu, sigma)`` is fitted to the ``m`` of the last
   ``historic_window_size`` points, skipping those of the learning period
   still in that window (NuPIC's ``_calcSkipRecords``); ``mu >= 0.03`` and
   ``sigma**2 >= 0.0003`` (NuPIC's ``estimateNormal`` floors).
3. ``L_t = Q((m_t - mu) / sigma)``: the upper tail probability (the paper's
   ``1 - Q``-complement form; a below-average ``m_t`` gets ``L_t > 0.5``).
4. NuPIC's filter: when ``L_t`` and the previous point's unfiltered value
   (under the same Gaussian) are both in the red zone (``<= 1e-5``), ``L_t``
   becomes ``1e-3``: only the first of a run of extreme values stays extreme.
5. The output is NAB's log scale ``log(1.0000000001 - p) / log(1e-10)`` of
   the anomaly probability ``p = 1 - L_t``; it lies in [0, 1] (about
   ``-4e-12`` at ``p = 0``), 0.5 at ``L_t = 1e-5``. Points before the first
   estimate have ``p = 0.5``, i.e. score 0.0301.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfc

from bench.detectors.base import check_positive_int
from bench.errors import ParameterError
from bench.postprocess.base import PostProcessor

#: NuPIC's ``_filterLikelihoods`` zones (``1 - 0.99999`` and ``1 - 0.999``, as computed there).
RED_ZONE = 1.0 - 0.99999
YELLOW_ZONE = 1.0 - 0.999
#: NuPIC's ``tailProbability`` divides by this rounded square root of 2; NAB's stored scores need it.
NUPIC_SQRT2 = 1.4142
#: NuPIC's ``nullDistribution``: used when no point is left to estimate from.
NULL_MEAN, NULL_STD = 0.5, 1e3


def skip_records(n_ingested: int, window: int, learning_period: int) -> int:
    """How many of the history's first points are still in the learning period (NuPIC ``_calcSkipRecords``)."""
    shifted_out = max(0, n_ingested - window)
    return min(n_ingested, max(0, learning_period - shifted_out))


def reestimation_points(n: int, start: int, period: int) -> NDArray[np.int64]:
    """Indices below ``n`` where the Gaussian is (re-)estimated: ``start``, then every multiple of ``period`` after it.

    As NuPIC's ``anomalyProbability``: at the first scored point (no
    distribution yet) and whenever ``iteration % reestimationPeriod == 0``.

    >>> reestimation_points(12, 4, 2).tolist()
    [4, 6, 8, 10]
    """
    if start >= n:
        return np.zeros(0, dtype=np.int64)
    first_multiple = -(-(start + 1) // period) * period
    return np.array([start, *range(first_multiple, n, period)], dtype=np.int64)


def window_means(x: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``mean(x[max(0, t - window + 1) : t + 1])`` for every ``t``, each sum taken oldest point first.

    The fixed summation order makes the streaming path (a running window of
    floats) reproduce these values bit for bit.
    """
    n = x.shape[0]
    acc = np.zeros(n)
    for k in range(min(window, n) - 1, -1, -1):
        term = np.zeros(n)
        term[k:] = x[: n - k]
        acc = acc + term
    return acc / np.minimum(np.arange(1, n + 1), window)


def estimate_normal(sample: ArrayLike, mean_floor: float = 0.03, variance_floor: float = 0.0003) -> tuple[float, float]:
    """Mean and standard deviation of ``sample`` with NuPIC's floors (``estimateNormal``); null if empty.

    >>> estimate_normal([0.0, 0.0, 0.0])
    (0.03, 0.017320508075688773)
    """
    s = np.asarray(sample, dtype=np.float64)
    if s.size == 0:
        return NULL_MEAN, NULL_STD
    mean = float(s.sum()) / s.size
    dev = s - mean
    var = float(np.dot(dev, dev)) / s.size
    return max(mean, mean_floor), math.sqrt(max(var, variance_floor))


def tail_probability(x: ArrayLike, mean: ArrayLike, std: ArrayLike) -> NDArray[np.float64]:
    """``P(X > x)`` for ``X ~ N(mean, std**2)``, with NuPIC's arithmetic (reflect below the mean, ``erfc(z/1.4142)``).

    This is the one-sided form of the paper and of the NuPIC code NAB's
    results were computed with (before NuPIC's 2016-09-13 change made values
    below the mean as unlikely as those above).

    >>> [round(float(p), 4) for p in tail_probability([0.0, 1.0, -1.0], 0.0, 1.0)]
    [0.5, 0.1587, 0.8413]
    """
    x, mean, std = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (x, mean, std)))
    above = x >= mean
    xp = np.where(above, x, 2.0 * mean - x)
    q = 0.5 * erfc(((xp - mean) / std) / NUPIC_SQRT2)
    return np.where(above, q, 1.0 - q)


def filter_likelihoods(
    likelihoods: ArrayLike, red_threshold: float = 0.99999, yellow_threshold: float = 0.999
) -> NDArray[np.float64]:
    """NuPIC's ``_filterLikelihoods`` on a sequence: a red value right after a red value becomes yellow.

    Red means ``<= 1 - red_threshold``; the first value is left unchanged;
    each value is compared with the previous *unfiltered* value.

    >>> filter_likelihoods([0.0, 0.0, 0.3, 0.3, 0.5]).round(6).tolist()
    [0.0, 0.001, 0.3, 0.3, 0.5]
    """
    lik = np.asarray(likelihoods, dtype=np.float64)
    red, yellow = 1.0 - red_threshold, 1.0 - yellow_threshold
    out = lik.copy()
    out[1:] = np.where((lik[1:] <= red) & (lik[:-1] <= red), yellow, lik[1:])
    return out


def log_likelihood(probability: ArrayLike) -> NDArray[np.float64]:
    """NAB's log scale of an anomaly probability: ``log(1.0000000001 - p) / log(1 - 0.9999999999)``."""
    return np.log(1.0000000001 - np.asarray(probability, dtype=np.float64)) / -23.02585084720009


class LikelihoodPostProcessor(PostProcessor):
    """NAB/HTM anomaly likelihood of a detector's raw scores (module docstring: the algorithm and sources).

    Parameters
    ----------
    learning_period
        Points at the start whose scores never enter the Gaussian (the
        detector is still learning). ``None`` (default): half the training
        part, ``floor(n_train / 2)``, NAB's rule (``numenta_detector.py``:
        ``learningPeriod = floor(probationaryPeriod / 2)``). NuPIC's own
        default is 288.
    estimation_samples
        Points after the learning period before the first estimate: the
        output starts at point ``learning_period + estimation_samples``.
        ``None`` (default): the rest of the training part,
        ``max(n_train - learning_period, 1)``, NAB's rule
        (``estimationSamples = probationaryPeriod - learningPeriod``), so the
        likelihood starts right after the training part. NuPIC: 100.
    historic_window_size
        How many trailing points the Gaussian is fitted to. 8640 (NuPIC
        ``AnomalyLikelihood`` default, a month of 5-minute data; NAB keeps it).
    reestimation_period
        Re-fit the Gaussian at every point index that is a multiple of this.
        100 (NuPIC default and NAB's setting).
    averaging_window
        Length of the moving average of raw scores. 10 (NuPIC
        ``estimateAnomalyLikelihoods(averagingWindow=10)``).
    mean_floor, variance_floor
        Lower bounds of the fitted mean and variance, 0.03 and 0.0003
        (NuPIC ``estimateNormal``), made for HTM raw scores in [0, 1]; they
        keep a near-constant score history from flagging the smallest blip.
        Scale them with scores far below 1.

    Notes
    -----
    ``fit(train_scores)`` learns ``learning_period_`` and
    ``estimation_samples_`` (from ``len(train_scores)`` where ``None``) and
    primes the streaming state; ``transform(scores)`` replays the likelihood
    from ``scores[0]``, so the scores of the training part enter the first
    Gaussian as in NAB. An empty training part gives ``learning_period_ = 0``,
    ``estimation_samples_ = 1``. ``n_warmup_ = learning_period_ +
    estimation_samples_``: the points before the first estimate, all scored
    0.0301 (``p = 0.5``). With the runner's NAB protocol (training
    part = probationary period) and the defaults, the output equals NAB's
    numenta likelihood. Omitted from NuPIC: its "HACK ALERT" that returns the
    null distribution when the series *values* are flat (variance < 1.5e-5);
    it works around an HTM encoder problem, and NAB's stored scores are
    reproduced without it. ``update`` costs O(1) per point plus an
    O(historic_window_size) re-estimation every ``reestimation_period`` points.
    """

    def __init__(
        self,
        *,
        learning_period: int | None = None,
        estimation_samples: int | None = None,
        historic_window_size: int = 8640,
        reestimation_period: int = 100,
        averaging_window: int = 10,
        mean_floor: float = 0.03,
        variance_floor: float = 0.0003,
    ) -> None:
        self.learning_period = learning_period
        self.estimation_samples = estimation_samples
        self.historic_window_size = historic_window_size
        self.reestimation_period = reestimation_period
        self.averaging_window = averaging_window
        self.mean_floor = mean_floor
        self.variance_floor = variance_floor

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"historic_window_size": 120, "reestimation_period": 7}

    def _validate_params(self) -> None:
        name = type(self).__name__
        if self.learning_period is not None:
            check_positive_int(name, "learning_period", self.learning_period, minimum=0)
        if self.estimation_samples is not None:
            check_positive_int(name, "estimation_samples", self.estimation_samples)
        check_positive_int(name, "averaging_window", self.averaging_window)
        check_positive_int(name, "historic_window_size", self.historic_window_size, minimum=self.averaging_window)
        check_positive_int(name, "reestimation_period", self.reestimation_period)
        if self.estimation_samples is not None and self.estimation_samples > self.historic_window_size:
            raise ParameterError(
                f"{name}: estimation_samples={self.estimation_samples} exceeds "
                f"historic_window_size={self.historic_window_size}; raise the window or lower the samples."
            )
        for key in ("mean_floor", "variance_floor"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{name}: {key} must be a finite number; got {value!r}.")
        if self.variance_floor <= 0:
            raise ParameterError(
                f"{name}: variance_floor must be > 0 (a zero spread divides by 0); got {self.variance_floor!r}."
            )

    # ------------------------------------------------------------ batch path
    def _start(self) -> int:
        return int(self.learning_period_) + int(self.estimation_samples_)

    def _n_warmup(self) -> int:
        return self._start()

    def _estimate(self, history_means: NDArray[np.float64], n_ingested: int) -> tuple[float, float]:
        skip = skip_records(n_ingested, int(self.historic_window_size), int(self.learning_period_))
        return estimate_normal(history_means[skip:], self.mean_floor, self.variance_floor)

    def _gaussians(
        self, x: NDArray[np.float64], wm: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """Re-estimation points ``r`` (< len(x)) and the Gaussian fitted at each from ``x[r - H : r]``."""
        n, start = x.shape[0], self._start()
        R, H, w = int(self.reestimation_period), int(self.historic_window_size), int(self.averaging_window)
        points = reestimation_points(n, start, R)
        means, stds = np.empty(points.size), np.empty(points.size)
        for k, r in enumerate(points.tolist()):
            s = max(0, r - H)
            hm = wm[s:r]
            if s > 0:  # the history's moving average restarts at its first point
                hm = hm.copy()
                hm[: w - 1] = window_means(x[s : s + w - 1], w)
            means[k], stds[k] = self._estimate(hm, r)
        return points, means, stds

    def _transform(self, scores: NDArray[np.float64], values: NDArray[np.float64] | None) -> NDArray[np.float64]:
        n, start = scores.shape[0], self._start()
        out = np.full(n, float(log_likelihood(0.5)))
        if n <= start:
            return out
        wm = window_means(scores, int(self.averaging_window))
        points, means, stds = self._gaussians(scores, wm)
        seg = np.searchsorted(points, np.arange(start, n), side="right") - 1
        mu, sd = means[seg], stds[seg]
        lik = tail_probability(wm[start:], mu, sd)
        prev = tail_probability(wm[start - 1 : n - 1], mu, sd)
        filtered = np.where((lik <= RED_ZONE) & (prev <= RED_ZONE), YELLOW_ZONE, lik)
        out[start:] = log_likelihood(1.0 - filtered)
        return out

    # -------------------------------------------------------- streaming path
    def _fit(self, train: NDArray[np.float64], values: NDArray[np.float64] | None) -> None:
        n = train.shape[0]
        lp = n // 2 if self.learning_period is None else int(self.learning_period)
        self.learning_period_ = lp
        self.estimation_samples_ = max(n - lp, 1) if self.estimation_samples is None else int(self.estimation_samples)
        self._history: deque[float] = deque(
            train[-int(self.historic_window_size) :].tolist(), maxlen=int(self.historic_window_size)
        )
        self._window: deque[float] = deque(
            train[-int(self.averaging_window) :].tolist(), maxlen=int(self.averaging_window)
        )
        self._gaussian: tuple[float, float] | None = None
        if n > self._start():
            points, means, stds = self._gaussians(train, window_means(train, int(self.averaging_window)))
            self._gaussian = (float(means[-1]), float(stds[-1]))

    def _window_mean(self) -> float:
        acc = 0.0
        for v in self._window:
            acc += v
        return acc / len(self._window)

    def _update(self, score: float, value: NDArray[np.float64] | None) -> float:
        i = self.n_seen_
        out = float(log_likelihood(0.5))
        if i >= self._start():
            if self._gaussian is None or i % int(self.reestimation_period) == 0:
                hist = np.array(self._history)
                self._gaussian = self._estimate(window_means(hist, int(self.averaging_window)), i)
            mu, sd = self._gaussian
            prev_mean = self._window_mean()
            self._window.append(score)
            both = tail_probability(np.array([prev_mean, self._window_mean()]), mu, sd)
            lik = YELLOW_ZONE if (both[1] <= RED_ZONE and both[0] <= RED_ZONE) else float(both[1])
            out = float(log_likelihood(1.0 - lik))
        else:
            self._window.append(score)
        self._history.append(score)
        return out
