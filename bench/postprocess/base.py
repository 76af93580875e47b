"""The score post-processor interface: ``fit(train_scores) -> self``, ``transform(scores) -> (n,)``, ``update(score)``.

A post-processor turns a detector's raw scores into new scores (anomaly
likelihood, smoothing, ...): a separate, causal stage named with the detector
(``lstm+likelihood``). Subclasses implement ``_fit``, ``_transform`` and
``_update`` on validated float64 arrays; this base class does the parameter
handling, the validation, the fitted check and the output check once for
everyone, in the style of :class:`bench.detectors.base.Detector`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.detectors.base import as_values
from bench.errors import DataError, NotFittedError
from bench.estimator import Estimator


def as_scores(scores: ArrayLike, *, owner: str, what: str = "scores") -> NDArray[np.float64]:
    """Validate ``scores`` and return them as a 1-D C-contiguous float64 array.

    Raises :class:`DataError` for anything that is not a 1-D array of finite
    numbers, naming the shape received or the index of the first bad value.
    """
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{owner}: {what} must be numeric; {exc}.") from None
    if arr.ndim != 1:
        raise DataError(f"{owner}: {what} must be a 1-D array (one score per point); got shape {arr.shape}.")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise DataError(
            f"{owner}: {what} has a non-finite value {arr[bad]} at index {bad}; a detector's scores must be finite."
        )
    return np.ascontiguousarray(arr)


class PostProcessor(Estimator):
    """Base class of every score post-processor.

    The contract, shared with the detectors' ``fit``/``score``/``update``:

    - ``fit(train_scores, values=None) -> self``: the detector's raw scores on
      the series' training part (the runner passes the training part after
      the detector's warm-up). They may be empty or short: a subclass says in
      its docstring what it does then, and never fails on a short training part.
    - ``transform(scores, values=None) -> (n,) float64``: the whole series'
      raw scores (training part first, then the rest) mapped to new finite
      scores, higher = more anomalous, *causal*: ``out[t]`` depends only on
      ``scores[:t + 1]`` (and on what ``fit`` saw).
    - ``update(score, value=None) -> float``: streaming. After ``fit(train)``,
      ``update`` called on each point of ``stream`` in turn returns exactly
      ``transform(concatenate(train, stream))[len(train):]``.

    The three post-processors here follow the *replay* convention (as
    :class:`bench.detectors.statistical.GaussianDetector` does): ``transform``
    processes its input as a stream that starts at ``scores[0]``; ``fit``
    learns only what its parameters derive from the training part (its length,
    for the anomaly likelihood) and leaves the streaming state as it is after
    the training scores, so ``update`` continues the stream.

    Series values: a post-processor whose rule reads the series' values (NAB's
    spatial rule) sets ``needs_values = True`` and then requires ``values``
    (``(n,)`` or ``(n, d)``, aligned with the scores) in ``fit`` and
    ``transform`` and ``value`` in ``update``; the others ignore them.

    Warm-up: ``n_warmup_`` (set by ``fit``) counts the leading points of
    ``transform``'s output, from ``scores[0]``, that are placeholders, as a
    detector's ``n_warmup_`` does (the likelihood's constant before its
    first estimate; 0 for the others). The runner should record the largest
    ``n_warmup_`` of the detector and its post-processors, so that the
    evaluator leaves those points out of a threshold's reference scores.

    Class attributes: ``causal`` (``transform(s)[:k]`` depends only on
    ``s[:k]``), ``needs_values``. A post-processor is done when it passes
    :func:`bench.testing.check_postprocessor`.

    Examples
    --------
    How a run applies one (``raw``: the detector's scores on the whole series,
    ``n_warmup``: the detector's, ``te``: the end of the training part)::

        pp.fit(raw[n_warmup:te], values[n_warmup:te] if pp.needs_values else None)
        post = pp.transform(raw, values if pp.needs_values else None)

    >>> import numpy as np
    >>> from bench.postprocess.likelihood import LikelihoodPostProcessor
    >>> raw = np.abs(np.random.default_rng(0).standard_normal(1000))
    >>> raw[800] += 8.0
    >>> pp = LikelihoodPostProcessor().fit(raw[:300])
    >>> out = pp.transform(raw)
    >>> int(out.argmax()), round(float(out.max()), 2), pp.n_warmup_
    (800, 0.59, 300)
    """

    causal: ClassVar[bool] = True
    needs_values: ClassVar[bool] = False

    # ------------------------------------------------------------- contract
    def _check_values(self, values: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
        if not self.needs_values:
            return None
        name = type(self).__name__
        if values is None:
            raise DataError(
                f"{name} reads the series values: pass values=... (the series' (n,) or (n, d) values, "
                "aligned with the scores)."
            )
        arr = as_values(values, owner=f"{name} values", min_length=0)
        if arr.shape[0] != n:
            raise DataError(f"{name}: {arr.shape[0]} values for {n} scores; pass the values aligned with the scores.")
        return arr

    def fit(self, train_scores: ArrayLike, values: ArrayLike | None = None) -> PostProcessor:
        """Learn from the training part's raw scores (``(n,)``, finite, possibly empty) and return ``self``."""
        s = as_scores(train_scores, owner=type(self).__name__, what="train_scores")
        v = self._check_values(values, s.shape[0])
        self.check_params()
        if v is not None:
            self.n_features_in_ = v.shape[1]
        self._fit(s, v)
        self.n_warmup_ = int(self._n_warmup())
        self.n_seen_ = int(s.shape[0])
        self.is_fitted_ = True
        return self

    def _check_fitted(self, method: str) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(train_scores) before {method}().")

    def _check_width(self, v: NDArray[np.float64] | None) -> None:
        if v is not None and v.shape[1] != self.n_features_in_:
            raise DataError(
                f"{type(self).__name__} was fitted on {self.n_features_in_} value channel(s); got {v.shape[1]}."
            )

    def transform(self, scores: ArrayLike, values: ArrayLike | None = None) -> NDArray[np.float64]:
        """New scores for a whole series, ``(n,)`` float64, finite, higher = more anomalous."""
        self._check_fitted("transform")
        s = as_scores(scores, owner=type(self).__name__)
        v = self._check_values(values, s.shape[0])
        self._check_width(v)
        out = np.asarray(self._transform(s, v), dtype=np.float64).reshape(-1)
        if out.shape != s.shape or not np.isfinite(out).all():
            raise RuntimeError(
                f"{type(self).__name__}._transform returned shape {out.shape} with "
                f"{int((~np.isfinite(out)).sum())} non-finite values for {s.shape[0]} scores: a bug."
            )
        return out

    def update(self, score: float, value: ArrayLike | None = None) -> float:
        """The new score of the next point of the stream, then learn from it (constant work per point)."""
        self._check_fitted("update")
        name = type(self).__name__
        arr = np.asarray(score, dtype=np.float64)
        if arr.size != 1 or not np.isfinite(arr).all():
            raise DataError(f"{name}.update: expected one finite score; got {score!r} at stream index {self.n_seen_}.")
        v = None
        if self.needs_values:
            if value is None:
                raise DataError(f"{name}.update reads the series value: pass value=... with the score.")
            try:
                v = np.asarray(value, dtype=np.float64).reshape(1, -1)
            except (TypeError, ValueError) as exc:
                raise DataError(f"{name}.update: the value must be numeric; {exc}.") from None
            if not np.isfinite(v).all():
                raise DataError(f"{name}.update: non-finite value {value!r} at stream index {self.n_seen_}.")
            self._check_width(v)
            v = v[0]
        out = float(self._update(float(arr.reshape(-1)[0]), v))
        self.n_seen_ += 1
        return out

    def _n_warmup(self) -> int:
        """Leading placeholder points of ``transform``'s output (called by ``fit``, after ``_fit``)."""
        return 0

    def _validate_params(self) -> None:
        """Check hyperparameters (called by ``fit``, never by ``__init__``)."""

    def _fit(self, train: NDArray[np.float64], values: NDArray[np.float64] | None) -> None:
        raise NotImplementedError

    def _transform(self, scores: NDArray[np.float64], values: NDArray[np.float64] | None) -> NDArray[np.float64]:
        raise NotImplementedError

    def _update(self, score: float, value: NDArray[np.float64] | None) -> float:
        raise NotImplementedError
