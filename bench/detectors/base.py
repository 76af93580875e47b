"""The detector interface: hyperparameters in ``__init__``, ``fit(X) -> self``, ``score(X) -> (n,)``.

Subclasses implement ``_fit(X)`` and ``_score(X)`` on validated ``(n, d)``
float64 arrays; this base class does the validation, the fitted check and the
output check once for everyone. Streaming detectors also implement
``_update(x) -> float`` on one validated ``(d,)`` point (score it, then learn
from it); the base class then offers ``update(x)``, which validates the point
first. Detectors without ``_update`` have no ``update`` attribute at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import DataError, NotFittedError, ParameterError
from bench.estimator import Estimator

MAX_SEED = 2**32 - 1
"""The largest seed every detector accepts: numpy's and scikit-learn's seeds are 0..2**32-1 (torch takes more)."""


def as_values(X: ArrayLike, *, owner: str = "input", min_length: int = 1, why: str = "") -> NDArray[np.float64]:
    """Validate ``X`` and return it as a C-contiguous ``(n, d)`` float64 copy-if-needed.

    Raises :class:`DataError` naming the problem: wrong dimensionality, too few
    points (with the minimum and the reason), or a non-finite value (with its index).
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{owner}: values must be numeric; {exc}.") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{owner}: expected a (n,) or (n, d) array; got shape {arr.shape}.")
    n = arr.shape[0]
    if n < min_length:
        reason = f" ({why})" if why else ""
        raise DataError(f"{owner} needs at least {min_length} points{reason}; got {n}.")
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise DataError(
            f"{owner}: non-finite value {arr[row, col]} at index {row} (channel {col}); "
            "fill or drop missing values before detection."
        )
    return np.ascontiguousarray(arr)


class Detector(Estimator):
    """Base class of every detector.

    Class attributes describe capabilities. The registry reads them into a
    plug-in's :class:`bench.registry.DetectorEntry` (a registered detector's
    entry is written out in the registry, and a test checks that the two
    agree); the runner and the reports read the entry, the conformance
    battery the class:

    - ``causal``: ``score(X)[:k]`` depends only on ``X[:k]``.
    - ``multivariate``: accepts ``(n, d)`` with ``d > 1`` (otherwise refuses clearly).
    - ``needs_torch``: imports torch (for ``list`` and plug-in checks).
    - ``chance_level``: its scores carry no information by design (the
      ``random`` and ``null`` baselines): never marked best in a report, and
      skill checks do not apply to it.
    - ``raw_error``: its score is a raw prediction or reconstruction error,
      on each series' own scale, so one threshold for a whole corpus (NAB's
      sweep) cannot serve it; a run scored that way adds its ``+likelihood`` row.
    - ``reports_epochs``: ``fit`` sets ``epochs_run_``, the number of
      training epochs it ran (recorded as ``epochs_run`` in the task record).
    - ``seed_param``: the name of the ``__init__`` parameter that receives
      the run's seed, or None for a deterministic detector. Optional: a class
      that does not set it gets the run's seed through its ``seed`` or
      ``random_state`` parameter, if it has one.

    Streaming is a capability too, read from the class itself:
    :meth:`supports_update` is true when the subclass implements ``_update``,
    and only then does ``update`` exist (``hasattr(det, "update")`` and
    ``callable(getattr(det, "update", None))`` agree with it).

    Learned attributes the runner records: ``n_warmup_`` (leading points
    that have no score yet, see :func:`fill_warmup`) and, with
    ``reports_epochs``, ``epochs_run_``.

    Timing: the runner calls :meth:`warm_up` once per process and detector
    class before the first timed ``fit``, so recorded times measure the
    method, not imports or library initialisation.

    A detector is *done* when it passes :func:`bench.testing.check_detector`.
    """

    causal: ClassVar[bool] = True
    multivariate: ClassVar[bool] = True
    needs_torch: ClassVar[bool] = False
    chance_level: ClassVar[bool] = False
    raw_error: ClassVar[bool] = False
    reports_epochs: ClassVar[bool] = False

    # ------------------------------------------------------------- contract
    def min_length(self) -> int:
        """The fewest points ``fit`` and ``score`` accept."""
        return 1

    def _min_length_why(self) -> str:
        return ""

    def min_series_length(self) -> int:
        """The fewest points a whole series (training and test part) needs for any of its points to get a real
        score rather than the warm-up floor; shorter series would get constant scores. Default: ``min_length()``."""
        return self.min_length()

    def _min_series_length_why(self) -> str:
        return self._min_length_why()

    def _check(self, X: ArrayLike) -> NDArray[np.float64]:
        arr = as_values(X, owner=type(self).__name__, min_length=self.min_length(), why=self._min_length_why())
        if arr.shape[1] > 1 and not self.multivariate:
            raise DataError(
                f"{type(self).__name__} is univariate; got {arr.shape[1]} channels. "
                "Score each channel separately or choose a multivariate detector."
            )
        return arr

    def fit(self, X: ArrayLike) -> Detector:
        """Learn from ``X`` (``(n,)`` or ``(n, d)``, finite) and return ``self``."""
        arr = self._check(X)
        self.check_params()
        self.n_features_in_ = arr.shape[1]
        self._fit(arr)
        self.is_fitted_ = True
        return self

    def score(self, X: ArrayLike) -> NDArray[np.float64]:
        """Anomaly scores, ``(n,)`` float64, finite, higher = more anomalous."""
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(train) before score().")
        arr = self._check(X)
        if arr.shape[1] != self.n_features_in_:
            raise DataError(
                f"{type(self).__name__} was fitted on {self.n_features_in_} channel(s); got {arr.shape[1]}."
            )
        scores = np.asarray(self._score(arr), dtype=np.float64).reshape(-1)
        if scores.shape != (arr.shape[0],) or not np.isfinite(scores).all():
            raise RuntimeError(
                f"{type(self).__name__}._score returned shape {scores.shape} with "
                f"{int((~np.isfinite(scores)).sum())} non-finite values for {arr.shape[0]} points: a bug."
            )
        return scores

    @classmethod
    def supports_update(cls) -> bool:
        """Whether the detector can stream: it implements ``_update``, so ``update(x)`` exists."""
        return cls._update is not Detector._update

    @property
    def update(self) -> Callable[[ArrayLike], float]:
        """``update(x) -> float``: score one new point, then learn from it (streaming detectors only).

        ``x`` is one point: a scalar or a ``(d,)`` array, finite, with the
        width the detector was fitted on. Raises :class:`NotFittedError` before
        ``fit`` and :class:`DataError` for a bad point (which then changes
        nothing). A detector that does not stream has no ``update``: reading
        the attribute raises ``AttributeError``, as scikit-learn's
        ``available_if`` does for methods an estimator lacks, so ``hasattr``
        tells the truth.
        """
        if not self.supports_update():
            raise AttributeError(
                f"{type(self).__name__} does not stream: it has no update(); score whole series with score(X)."
            )
        return self._checked_update

    def _checked_update(self, x: ArrayLike) -> float:
        name = type(self).__name__
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{name} is not fitted; call fit(train) before update().")
        row = self._check_point(x)
        score = float(self._update(row))
        if not np.isfinite(score):
            raise RuntimeError(f"{name}._update returned {score} for a finite point: a bug.")
        return score

    def _check_point(self, x: ArrayLike) -> NDArray[np.float64]:
        """Validate one point for ``update`` and return it as a fresh ``(d,)`` float64 array."""
        name = type(self).__name__
        try:
            row = np.array(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name}.update: the point must be numeric; {exc}.") from None
        if row.ndim > 1:
            raise DataError(
                f"{name}.update takes one point, a scalar or a (d,) array; got shape {row.shape}. "
                "Use score(X) for a block of points."
            )
        row = row.reshape(-1)
        if row.shape[0] != self.n_features_in_:
            raise DataError(
                f"{name} was fitted on {self.n_features_in_} channel(s); update got a point with {row.shape[0]}."
            )
        finite = np.isfinite(row)
        if not finite.all():
            col = int(np.argmin(finite))
            raise DataError(
                f"{name}.update: non-finite value {row[col]} in channel {col}; "
                "fill or drop missing values before detection."
            )
        return row

    def warm_up(self, X: ArrayLike) -> None:
        """Pay this class's one-time costs in this process (imports inside ``fit``, library start-up) untimed.

        The default fits and scores an unfitted clone on the first
        ``max(2 * min_length(), 64)`` points of ``X`` (the data the timed
        ``fit`` will see, so the same code paths run). It changes neither
        ``self`` nor any global random state, so scores do not depend on
        whether it ran. Input too short for ``fit`` is left for ``fit`` to
        refuse. Override it when a cheaper warm-up does the same work.

        Parameters
        ----------
        X
            Training data, ``(n,)`` or ``(n, d)``.
        """
        arr = np.asarray(X)
        k = max(2 * self.min_length(), 64)
        if arr.shape[0] < self.min_length():
            return
        sample = arr[:k]
        self.clone().fit(sample).score(sample)

    def _fit(self, X: NDArray[np.float64]) -> None:
        raise NotImplementedError

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def _update(self, x: NDArray[np.float64]) -> float:
        """Score the validated ``(d,)`` point ``x``, then learn from it; streaming detectors override this."""
        raise NotImplementedError


def fill_warmup(scores: NDArray[np.float64], n_warmup: int, floor: float = 0.0) -> NDArray[np.float64]:
    """Give the first ``n_warmup`` points (no score yet) the lowest score the detector can give.

    The house convention: points a detector cannot score yet are never
    alarms. ``floor`` is the detector's lowest possible score (0.0 for error-
    and distance-based scores); a fixed value, not the minimum of the later
    scores, so the filler never depends on future data and causality holds.
    """
    out = np.asarray(scores, dtype=np.float64).copy()
    k = min(max(int(n_warmup), 0), out.shape[0])
    out[:k] = floor
    return out


def check_positive_int(owner: str, name: str, value: Any, minimum: int = 1) -> None:
    """Raise ParameterError unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{owner}: {name} must be an integer >= {minimum}; got {value!r}.")


def check_seed(owner: str, value: Any, name: str = "seed") -> None:
    """Raise ParameterError unless ``value`` is an int in ``0..MAX_SEED``, the range every detector can use."""
    check_positive_int(owner, name, value, minimum=0)
    if value > MAX_SEED:
        raise ParameterError(f"{owner}: {name} must be at most {MAX_SEED} (2**32 - 1, numpy's range); got {value!r}.")
