"""Telemanom (Hundman et al., KDD 2018): exponentially smoothed errors and the dynamic-threshold strategy.

Source: Hundman, Constantinou, Laporte, Colwell & Soderstrom, "Detecting
Spacecraft Anomalies Using LSTMs and Nonparametric Dynamic Thresholding",
KDD 2018, §3.2, and its code, github khundman/telemanom: ``telemanom/errors.py``
(``Errors.__init__``: ``e_s = pd.DataFrame(e).ewm(span=smoothing_window).mean()``
with ``smoothing_window = int(batch_size * window_size * smoothing_perc)``)
and ``config.yaml`` (``batch_size: 70``, ``window_size: 30``,
``smoothing_perc: 0.05``, hence a span of 105). The threshold itself is
:func:`bench.postprocess.dynamic_threshold.dynamic_threshold`, applied at
evaluation time by :class:`TelemanomThreshold` (``--threshold telemanom``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import lfilter

from bench.detectors.base import check_positive_int
from bench.metrics._validate import scores as as_scores
from bench.metrics.thresholds import ThresholdStrategy
from bench.postprocess.base import PostProcessor
from bench.postprocess.dynamic_threshold import dynamic_threshold


class TelemanomPostProcessor(PostProcessor):
    """Exponentially weighted moving average of the raw scores (telemanom's smoothed errors ``e_s``).

    ``out[t] = sum_k (1 - a)**k * s[t - k] / sum_k (1 - a)**k`` over
    ``k = 0 .. t``, ``a = 2 / (span + 1)``: pandas' ``ewm(span=span).mean()``
    (``adjust=True``), which telemanom uses.

    Parameters
    ----------
    span
        105 = ``int(70 * 30 * 0.05)`` (telemanom ``config.yaml``: ``batch_size``
        times ``window_size`` times ``smoothing_perc``).

    Notes
    -----
    Causal. Left out of telemanom: it overwrites the first ``l_s = 250``
    smoothed errors with the mean of the first 500, which reads the future.
    ``transform`` replays the average from ``scores[0]``; ``fit`` primes the
    streaming state with the training scores, so ``update`` continues the
    series bit for bit (the same recurrence, ``num = s + (1 - a) * num``,
    ``den = 1 + (1 - a) * den``, ``out = num / den``). An empty training part
    leaves the average empty: the first ``update`` returns its score.
    """

    def __init__(self, *, span: int = 105) -> None:
        self.span = span

    def _validate_params(self) -> None:
        check_positive_int(type(self).__name__, "span", self.span)

    def _decay(self) -> float:
        return 1.0 - 2.0 / (float(self.span) + 1.0)

    def _sums(self, scores: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        c = self._decay()
        return lfilter([1.0], [1.0, -c], scores), lfilter([1.0], [1.0, -c], np.ones_like(scores))

    def _fit(self, train: NDArray[np.float64], values: NDArray[np.float64] | None) -> None:
        num, den = self._sums(train)
        self._num, self._den = (float(num[-1]), float(den[-1])) if train.size else (0.0, 0.0)

    def _transform(self, scores: NDArray[np.float64], values: NDArray[np.float64] | None) -> NDArray[np.float64]:
        if scores.size == 0:
            return scores.copy()
        num, den = self._sums(scores)
        return num / den

    def _update(self, score: float, value: NDArray[np.float64] | None) -> float:
        c = self._decay()
        self._num = score + c * self._num
        self._den = 1.0 + c * self._den
        return self._num / self._den

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"span": 10}


@dataclass(frozen=True)
class TelemanomThreshold(ThresholdStrategy):
    """Label-free: telemanom's non-parametric dynamic threshold with pruning, window by window.

    Alarms come from :func:`~bench.postprocess.dynamic_threshold.dynamic_threshold`
    on the evaluated scores (the training part's are not used: telemanom
    judges the test errors only), so :meth:`alarms` is the strategy; the
    single number :meth:`threshold` reports is the *median* of the windows'
    upper thresholds, a summary for tables, not a cut that reproduces the
    alarms. Defaults from telemanom's ``config.yaml`` (see that module).
    Meant for smoothed errors (``lstm+telemanom``).
    """

    window: int = 2100
    batch: int = 70
    error_buffer: int = 100
    p: float = 0.13
    inverse: bool = True

    @property
    def name(self) -> str:
        if (self.window, self.batch, self.error_buffer, self.p, self.inverse) == (2100, 70, 100, 0.13, True):
            return "telemanom"
        return (
            f"telemanom(window={self.window}, batch={self.batch}, error_buffer={self.error_buffer}, "
            f"p={self.p:g}, inverse={self.inverse})"
        )

    def spec(self) -> str:
        """``telemanom`` with the defaults, else ``telemanom:window=..,batch=..,error_buffer=..,p=..,inverse=..``."""
        if self.name == "telemanom":
            return "telemanom"
        return (
            f"telemanom:window={self.window},batch={self.batch},error_buffer={self.error_buffer},"
            f"p={self.p!r},inverse={str(self.inverse).lower()}"
        )

    def describe(self) -> str:
        return (
            f"telemanom's dynamic threshold (windows of {self.window} points in batches of {self.batch}, "
            f"error buffer {self.error_buffer}, pruning p={self.p:g})"
        )

    def _run(self, scores: NDArray[np.float64]) -> tuple[float, NDArray[np.bool_]]:
        res = dynamic_threshold(
            scores, window=self.window, batch=self.batch, error_buffer=self.error_buffer, p=self.p, inverse=self.inverse
        )
        thr = float(np.median(res.epsilon)) if res.epsilon.size else 0.0
        return thr, res.alarms

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        return self._run(as_scores(scores))[0]

    def alarms(
        self,
        scores: ArrayLike,
        train_scores: ArrayLike | None = None,
        labels: ArrayLike | None = None,
    ) -> tuple[float, NDArray[np.bool_]]:
        return self._run(as_scores(scores))
