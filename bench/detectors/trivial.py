"""Sanity baselines that know nothing: seeded uniform random scores and a constant score.

They anchor a results table from below, as in the Numenta Anomaly Benchmark
(Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms — the
Numenta Anomaly Benchmark", ICMLA 2015), whose scoreboard normalises every
detector between its "null" (constant 0.5) and perfect detector and also
lists a "random" detector. A detector that does not beat these does not
detect anything.

Both set ``chance_level = True``: their scores carry no information by
design, so a check that demands skill (ROC-AUC on the sine with spikes)
must not be applied to them. Neither has ``update``: the streaming check
asks a spike to score above a normal point, which chance cannot promise.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from bench.detectors.base import Detector, check_seed
from bench.errors import ParameterError


class RandomDetector(Detector):
    """Uniform random scores in [0, 1), a fresh stream from ``seed`` for every scored series.

    Parameters
    ----------
    seed
        Seeds Python's :class:`random.Random` (Mersenne Twister); the score
        of row i is the stream's i-th draw, whatever the data. ``seed=42``
        reproduces NAB's "random" detector output exactly (tested).

    Notes
    -----
    Causal (row i's score depends on nothing but i), deterministic,
    ``n_warmup_ = 0``. Constant or multivariate input changes nothing.
    Expected ROC-AUC 0.5.
    """

    chance_level: ClassVar[bool] = True
    seed_param: ClassVar[str | None] = "seed"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def _validate_params(self) -> None:
        check_seed(type(self).__name__, self.seed)

    def _fit(self, X: NDArray[np.float64]) -> None:
        self.n_warmup_ = 0

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        draw = random.Random(int(self.seed)).random
        return np.array([draw() for _ in range(X.shape[0])], dtype=np.float64)


class NullDetector(Detector):
    """The same score for every point (NAB's "null" detector with the default ``value=0.5``).

    Parameters
    ----------
    value
        The constant score (finite).

    Notes
    -----
    Any threshold flags all points or none; ROC-AUC is exactly 0.5.
    ``n_warmup_ = 0``.
    """

    chance_level: ClassVar[bool] = True
    seed_param: ClassVar[str | None] = None

    def __init__(self, *, value: float = 0.5) -> None:
        self.value = value

    def _validate_params(self) -> None:
        ok = isinstance(self.value, (int, float, np.floating)) and not isinstance(self.value, bool)
        if not ok or not np.isfinite(self.value):
            raise ParameterError(f"{type(self).__name__}: value must be a finite number; got {self.value!r}.")

    def _fit(self, X: NDArray[np.float64]) -> None:
        self.n_warmup_ = 0

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.full(X.shape[0], float(self.value), dtype=np.float64)

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {}
