"""Threshold strategies: objects that turn anomaly scores into alarms (``score >= threshold``).

Detectors never threshold; the evaluator applies one of these. A strategy
that reads the labels is an *oracle*: it has ``oracle = True`` and every
output that uses it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import scores as as_scores
from bench.metrics.point import best_f1_threshold


@dataclass(frozen=True)
class ThresholdStrategy:
    """Base: ``threshold(scores, train_scores, labels) -> float``; alarms are ``scores >= threshold``."""

    oracle: ClassVar[bool] = False

    @property
    def name(self) -> str:
        raise NotImplementedError

    def threshold(
        self,
        scores: NDArray[np.float64],
        train_scores: NDArray[np.float64] | None = None,
        labels: NDArray[np.int8] | None = None,
    ) -> float:
        raise NotImplementedError

    def alarms(
        self,
        scores: ArrayLike,
        train_scores: ArrayLike | None = None,
        labels: ArrayLike | None = None,
    ) -> tuple[float, NDArray[np.bool_]]:
        s = as_scores(scores)
        tr = None if train_scores is None else as_scores(train_scores, "train_scores")
        lab = None if labels is None else np.asarray(labels)
        thr = float(self.threshold(s, tr, lab))
        return thr, s >= thr


@dataclass(frozen=True)
class Fixed(ThresholdStrategy):
    """A fixed score value."""

    value: float = 0.5

    @property
    def name(self) -> str:
        return f"fixed({self.value:g})"

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        return float(self.value)


@dataclass(frozen=True)
class Quantile(ThresholdStrategy):
    """The ``q`` quantile of all the series' scores (flags about ``1 - q`` of the points).

    Label-free but reads the test scores, so it fixes the alarm *rate*, not a level.
    """

    q: float = 0.99

    def __post_init__(self) -> None:
        if not 0.0 <= self.q <= 1.0:
            raise ParameterError(f"Quantile threshold needs 0 <= q <= 1; got {self.q!r}.")

    @property
    def name(self) -> str:
        return f"quantile({self.q:g})"

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        return float(np.quantile(scores, self.q)) if scores.size else 0.0


@dataclass(frozen=True)
class TrainMeanStd(ThresholdStrategy):
    """The default, label-free: ``mean + k * std`` of the scores on the training part.

    The training part is anomaly-free by the training protocol (NAB's
    probationary period, the generator's clean prefix), so this says "k
    standard deviations above normal". Falls back to all the scores when the
    training part has fewer than 2 scored points. When the training scores
    are constant (std 0) the threshold is just above them, so that only
    scores exceeding anything seen in training raise an alarm.
    """

    k: float = 3.0

    @property
    def name(self) -> str:
        return f"train_mean_std(k={self.k:g})"

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        ref = train_scores if train_scores is not None and train_scores.size >= 2 else scores
        if ref.size == 0:
            return 0.0
        mean, std = float(ref.mean()), float(ref.std())
        if std == 0.0:
            return float(np.nextafter(ref.max(), np.inf))
        return mean + self.k * std


@dataclass(frozen=True)
class BestF1Oracle(ThresholdStrategy):
    """ORACLE: the threshold maximising F1 against the labels (point-wise or point-adjusted).

    Reads the test labels, so it is an upper bound on what any threshold
    could reach, never a deployable result.
    """

    oracle: ClassVar[bool] = True
    adjusted: bool = False

    @property
    def name(self) -> str:
        return "oracle_best_pa_f1" if self.adjusted else "oracle_best_f1"

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        if labels is None:
            raise ParameterError(f"{self.name} is an oracle and needs the labels.")
        return best_f1_threshold(labels, scores, adjusted=self.adjusted).threshold


DEFAULT = TrainMeanStd(k=3.0)


@dataclass(frozen=True)
class NabCorpusThreshold:
    """ORACLE, corpus-level: NAB's threshold, optimised over every series at once for one cost profile.

    NAB (Lavin & Ahmad 2015; ``nab/optimizer.py``) picks the single threshold
    that maximises the corpus score against the labelled windows, so it reads
    the labels and is reported as an oracle like the best-F1 threshold. It
    applies to a whole corpus, not one series: :meth:`corpus_threshold` takes
    every series' scores, windows and probationary length
    (:class:`bench.metrics.nab.NabSeries`). NAB runs record it per profile as
    the ``nab_<profile>_threshold`` metric.
    """

    oracle: ClassVar[bool] = True
    profile: str = "standard"

    @property
    def name(self) -> str:
        return f"oracle_nab_corpus({self.profile})"

    def corpus_threshold(self, corpus: list[Any]) -> float:
        from bench.metrics.nab import load_profiles, nab_optimise_threshold

        profiles = load_profiles()
        if self.profile not in profiles:
            raise ParameterError(f"Unknown NAB profile {self.profile!r}. Available: {', '.join(profiles)}.")
        return nab_optimise_threshold(corpus, profiles[self.profile])[0]
