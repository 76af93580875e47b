"""NAB's spatial rule: raise the score when a value leaves the range seen so far by more than 5%.

Source: the Numenta Anomaly Benchmark's HTM detector,
``nab/detectors/numenta/numenta_detector.py`` (numenta/NAB, ``handleRecord``
and ``SPATIAL_TOLERANCE = 0.05``): "Fraction outside of the range of values
seen so far that will be considered a spatial anomaly regardless of the
anomaly likelihood calculation. This accounts for the human labelling bias
for spatial values larger than what has been seen so far."

A finding about the benchmark, not a detector: on NAB this rule alone, on
top of a constant score (``null+spatial``), scores 50.8 (standard profile;
49.9 reward_low_FP, 52.6 reward_low_FN), more than several published
detectors. It is offered so that HTM-style setups can be
reproduced (``lstm+likelihood+spatial``); show ``null+spatial`` beside any
row that uses it, and never use it in a default or headline row.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from bench.errors import ParameterError
from bench.postprocess.base import PostProcessor


def spatial_exits(values: NDArray[np.float64], tolerance: float = 0.05) -> NDArray[np.bool_]:
    """Points whose value leaves ``[min - tol, max + tol]`` of the values before it, ``tol = tolerance * (max - min)``.

    ``values`` is ``(n,)`` or ``(n, d)``; a point is flagged when any channel
    leaves its range. A channel whose earlier values are all equal (or the
    first point) flags nothing, as in NAB (``if self.minVal != self.maxVal``).

    >>> spatial_exits(np.array([0.0, 1.0, 1.04, 1.1, -0.2])).tolist()
    [False, False, False, True, True]
    """
    v = values[:, None] if values.ndim == 1 else values
    flags = np.zeros(v.shape[0], dtype=bool)
    if v.shape[0] < 2:
        return flags
    lo = np.minimum.accumulate(v, axis=0)[:-1]
    hi = np.maximum.accumulate(v, axis=0)[:-1]
    tol = (hi - lo) * tolerance
    x = v[1:]
    flags[1:] = ((lo != hi) & ((x > hi + tol) | (x < lo - tol))).any(axis=1)
    return flags


class SpatialPostProcessor(PostProcessor):
    """NAB's spatial anomaly rule (module docstring): ``max(score, alarm_score)`` where a value leaves its range.

    Parameters
    ----------
    tolerance
        Fraction of the range seen so far by which a value must leave it:
        0.05 (NAB's ``SPATIAL_TOLERANCE``).
    alarm_score
        The score such a point gets at least: 1.0, NAB's (which sets the
        final score to 1.0, the top of its likelihood scale). Other scores
        are passed through unchanged, so use it after a post-processor whose
        scores lie in [0, 1] (``likelihood``) or on ``null``.

    Notes
    -----
    Reads the series values: ``fit(train_scores, values=train_values)``,
    ``transform(scores, values=series_values)``, ``update(score, value=x)``.
    ``transform`` replays the range from ``values[0]``; ``fit`` only checks
    the input and primes the streaming range with the training values, so
    ``update`` continues the series. Multivariate values: flagged when any
    channel leaves its own range. Constant work per ``update``.
    """

    needs_values = True

    def __init__(self, *, tolerance: float = 0.05, alarm_score: float = 1.0) -> None:
        self.tolerance = tolerance
        self.alarm_score = alarm_score

    def _validate_params(self) -> None:
        name = type(self).__name__
        for key in ("tolerance", "alarm_score"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{name}: {key} must be a finite number; got {value!r}.")
        if self.tolerance < 0:
            raise ParameterError(f"{name}: tolerance must be >= 0 (a fraction of the range); got {self.tolerance!r}.")

    # the base class has checked that values are given (needs_values), hence the casts
    def _fit(self, train: NDArray[np.float64], values: NDArray[np.float64] | None) -> None:
        values = cast(NDArray[np.float64], values)
        self._lo: NDArray[np.float64] | None = values.min(axis=0) if values.shape[0] else None
        self._hi: NDArray[np.float64] | None = values.max(axis=0) if values.shape[0] else None

    def _transform(self, scores: NDArray[np.float64], values: NDArray[np.float64] | None) -> NDArray[np.float64]:
        flags = spatial_exits(cast(NDArray[np.float64], values), float(self.tolerance))
        return np.where(flags, np.maximum(scores, float(self.alarm_score)), scores)

    def _update(self, score: float, value: NDArray[np.float64] | None) -> float:
        value = cast(NDArray[np.float64], value)
        out = score
        if self._lo is not None and self._hi is not None:
            lo, hi = self._lo, self._hi
            tol = (hi - lo) * float(self.tolerance)
            if ((lo != hi) & ((value > hi + tol) | (value < lo - tol))).any():
                out = max(score, float(self.alarm_score))
            self._lo, self._hi = np.minimum(lo, value), np.maximum(hi, value)
        else:
            self._lo, self._hi = value.copy(), value.copy()
        return out

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {}
