"""Isolation forest over sliding windows: each window's isolation score is given to its last point.

The method of Liu, Ting & Zhou, "Isolation Forest" (ICDM 2008), through
scikit-learn's :class:`sklearn.ensemble.IsolationForest`, applied to the
flattened windows ``X[t-w+1 : t+1]`` (the subsequence form used e.g. by
TimeEval's "Subsequence IF" and Merlion's ``IsolationForest``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from bench.detectors import _windows
from bench.detectors.base import Detector, check_positive_int, check_seed, fill_warmup
from bench.errors import ParameterError


class IsolationForestDetector(Detector):
    """Isolation forest on flattened sliding windows; score = ``-score_samples`` of the window ending at t.

    Parameters
    ----------
    window_size
        w, the window length. The window ending at point t scores t, so the
        detector is causal; the first ``w - 1`` points have no window and
        score 0.0 (``n_warmup_ = w - 1``), below every real score.
    n_estimators, max_samples, max_features
        Passed to :class:`sklearn.ensemble.IsolationForest` (Liu et al. 2008
        use 100 trees and subsamples of 256).
    centre_windows
        Subtract each window's per-channel mean before the forest sees it, so
        windows are compared by shape, not level: a slow drift or a past level
        shift does not make every later window look new. On yahoo-synth (10
        series with trends) this takes the alarm rate at the label-free
        threshold from 0.25 to 0.012 and point-wise F1 from 0.011 to 0.25; on NAB it costs a
        little (AUC-PR 0.224 to 0.191, F1 0.166 to 0.130). ``False`` is the plain subsequence forest.
    seed
        The forest's ``random_state``: same seed, same scores.

    Notes
    -----
    The forest is fitted on the training part's windows (at least one, so
    ``len(train) >= w``). The score is scikit-learn's ``score_samples`` with
    its sign turned: ``2 ** (-E[h(x)] / c(psi))``, in (0, 1], higher = more
    anomalous (scikit-learn's own convention is the opposite). Multivariate
    input is flattened time-major to ``w * d`` features. Constant training
    data gives identical windows: trees cannot split, and every window scores
    the same value. A spike raises the scores of the ``w`` windows that
    contain it, so neighbouring points after an anomaly score high too.
    ``update`` keeps the last ``w - 1`` points and scores the window the new
    point completes (the forest does not learn online).
    """

    seed_param: ClassVar[str | None] = "seed"

    def __init__(
        self,
        *,
        window_size: int = 10,
        n_estimators: int = 100,
        max_samples: int | float | str = "auto",
        max_features: float = 1.0,
        centre_windows: bool = True,
        seed: int = 0,
    ) -> None:
        self.window_size = window_size
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.centre_windows = centre_windows
        self.seed = seed

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"window_size": 5, "n_estimators": 50}

    def min_length(self) -> int:
        w = self.window_size  # checked by _validate_params, which runs after this
        return w if isinstance(w, int) and not isinstance(w, bool) and w >= 1 else 1

    def _min_length_why(self) -> str:
        return f"one window of window_size={self.window_size}"

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_positive_int(name, "window_size", self.window_size)
        check_positive_int(name, "n_estimators", self.n_estimators)
        check_seed(name, self.seed)
        if not 0.0 < float(self.max_features) <= 1.0:
            raise ParameterError(f"{name}: max_features must be in (0, 1]; got {self.max_features!r}.")
        ms = self.max_samples
        is_int = isinstance(ms, (int, np.integer)) and not isinstance(ms, bool) and ms >= 1
        is_fraction = isinstance(ms, float) and 0.0 < ms <= 1.0
        if not (ms == "auto" or is_int or is_fraction):
            raise ParameterError(
                f"{name}: max_samples must be 'auto', an int >= 1 or a fraction in (0, 1]; got {ms!r}."
            )

    def _features(self, windows: NDArray[np.float64], d: int) -> NDArray[np.float64]:
        return _windows.centre(windows, d) if self.centre_windows else windows

    def _fit(self, X: NDArray[np.float64]) -> None:
        from sklearn.ensemble import IsolationForest

        w = int(self.window_size)
        windows = self._features(_windows.trailing_windows(X, w), X.shape[1])
        max_samples = self.max_samples
        if isinstance(max_samples, int) and not isinstance(max_samples, bool):
            max_samples = min(max_samples, windows.shape[0])  # no warning when train is small
        self.forest_ = IsolationForest(
            n_estimators=int(self.n_estimators),
            max_samples=max_samples,
            max_features=float(self.max_features),
            random_state=int(self.seed),
        ).fit(windows)
        self.n_warmup_ = w - 1
        self._history = X[len(X) - (w - 1) :].copy() if w > 1 else X[:0].copy()

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        w = int(self.window_size)
        scores = np.zeros(X.shape[0], dtype=np.float64)
        scores[w - 1 :] = -self.forest_.score_samples(self._features(_windows.trailing_windows(X, w), X.shape[1]))
        return fill_warmup(scores, w - 1, floor=0.0)

    def _update(self, v: NDArray[np.float64]) -> float:
        """Score the window the new point completes (0.0 until ``w`` points were seen), then keep the point."""
        w = int(self.window_size)
        window = np.vstack((self._history, v[None, :]))
        full = window.shape[0] == w
        score = float(-self.forest_.score_samples(self._features(window.reshape(1, -1), v.size))[0]) if full else 0.0
        self._history = window[1:] if window.shape[0] == w else window
        return score
