"""Threshold strategies: objects that turn anomaly scores into alarms (``score >= threshold``).

Detectors never threshold; the evaluator applies one of these. A strategy
that reads the labels is an *oracle*: it has ``oracle = True`` and every
output that uses it says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import ParameterError
from bench.metrics._validate import scores as as_scores
from bench.metrics.point import BestF1, best_f1_threshold


@dataclass(frozen=True)
class ThresholdStrategy:
    """Base: ``threshold(scores, train_scores, labels) -> float``; alarms are ``scores >= threshold``.

    Every strategy has an exact saved form, :meth:`spec` (``from_spec(s.spec()) == s``),
    a short :attr:`name` for tables and a :meth:`describe` sentence for notes.
    """

    oracle: ClassVar[bool] = False
    kind: ClassVar[str] = ""

    @property
    def name(self) -> str:
        raise NotImplementedError

    def spec(self) -> str:
        """The exact saved form, e.g. ``"quantile:0.99999999"``; :func:`from_spec` reads it back."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the threshold is, in words, for the notes under a table."""
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


def _num(x: float) -> str:
    """A float's shortest exact text: ``3`` for 3.0, ``1234567.5``, ``0.99999999`` (``float(_num(x)) == x``)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))


def _finite(kind: str, name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"Threshold {kind}: {name} must be a number; got {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(x):
        raise ParameterError(f"Threshold {kind}: {name} must be a finite number; got {value!r}.")
    return x


@dataclass(frozen=True)
class Fixed(ThresholdStrategy):
    """A fixed score value."""

    kind: ClassVar[str] = "fixed"
    value: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite("fixed", "value", self.value))

    @property
    def name(self) -> str:
        return f"fixed({_num(self.value)})"

    def spec(self) -> str:
        return f"fixed:{_num(self.value)}"

    def describe(self) -> str:
        return f"the fixed score {_num(self.value)}"

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        return float(self.value)


@dataclass(frozen=True)
class Quantile(ThresholdStrategy):
    """The ``q`` quantile of all the series' scores (flags about ``1 - q`` of the points).

    Label-free but reads the test scores, so it fixes the alarm *rate*, not a level.
    """

    kind: ClassVar[str] = "quantile"
    q: float = 0.99

    def __post_init__(self) -> None:
        q = _finite("quantile", "q", self.q)
        if not 0.0 <= q <= 1.0:
            raise ParameterError(f"Quantile threshold needs 0 <= q <= 1; got {self.q!r}.")
        object.__setattr__(self, "q", q)

    @property
    def name(self) -> str:
        return f"quantile({_num(self.q)})"

    def spec(self) -> str:
        return f"quantile:{_num(self.q)}"

    def describe(self) -> str:
        return f"the {_num(self.q)} quantile of each series' evaluated scores"

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

    kind: ClassVar[str] = "train_mean_std"
    k: float = 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _finite("train_mean_std", "k", self.k))

    @property
    def name(self) -> str:
        return f"train_mean_std(k={_num(self.k)})"

    def spec(self) -> str:
        return f"train_mean_std:{_num(self.k)}"

    def describe(self) -> str:
        return f"mean + {_num(self.k)} std of the training-part scores"

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
    could reach, never a deployable result. The ``oracle_f1`` and
    ``oracle_pa_f1`` metric families are this strategy's :meth:`best`.
    """

    oracle: ClassVar[bool] = True
    kind: ClassVar[str] = "oracle_best_f1"
    adjusted: bool = False

    @property
    def name(self) -> str:
        return "oracle_best_pa_f1" if self.adjusted else "oracle_best_f1"

    def spec(self) -> str:
        return "oracle_best_pa_f1" if self.adjusted else "oracle_best_f1"

    def describe(self) -> str:
        kind = "point-adjusted F1" if self.adjusted else "point-wise F1"
        return f"ORACLE: the threshold maximising {kind} against the test labels"

    def best(self, labels: ArrayLike, scores: ArrayLike) -> BestF1:
        """The best threshold and the F1 it reaches (:func:`bench.metrics.point.best_f1_threshold`)."""
        return best_f1_threshold(labels, scores, adjusted=self.adjusted)

    def threshold(self, scores, train_scores=None, labels=None) -> float:  # type: ignore[no-untyped-def]
        if labels is None:
            raise ParameterError(f"{self.name} is an oracle and needs the labels.")
        return self.best(labels, scores).threshold


DEFAULT = TrainMeanStd(k=3.0)
DEFAULT_SPEC = "train_mean_std:3"

# kind -> (class, name of its one numeric argument or None, default of that argument)
STRATEGIES: dict[str, tuple[type[ThresholdStrategy], str | None, float | None]] = {
    "train_mean_std": (TrainMeanStd, "k", 3.0),
    "quantile": (Quantile, "q", 0.99),
    "fixed": (Fixed, "value", None),
}
ALIASES = {"train-std": "train_mean_std", "default": "train_mean_std"}
# strategies defined elsewhere (imported on use), configured with KEY=VALUE pairs: ``telemanom:error_buffer=5``
KEYWORD_STRATEGIES: dict[str, str] = {"telemanom": "bench.postprocess.telemanom:TelemanomThreshold"}


def available() -> str:
    """The accepted specs, for help texts and errors."""
    return "train_mean_std[:K] (default, K=3), quantile[:Q] (Q=0.99), fixed:VALUE, telemanom[:KEY=VALUE,...]"


def _keyword_strategy(kind: str, arg: str, text: str) -> ThresholdStrategy:
    import dataclasses
    import importlib

    from bench.params import coerce
    from bench.registry import Parameter

    module, _, attr = KEYWORD_STRATEGIES[kind].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for item in [a for a in arg.split(",") if a.strip()]:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or key not in fields:
            raise ParameterError(
                f"--threshold {text!r}: expected {kind}:KEY=VALUE,... with KEY in {', '.join(fields)}."
            )
        f = fields[key]
        kwargs[key] = coerce(raw.strip(), Parameter(key, f.default, type(f.default)), f"{kind}.{key}")
    return cls(**kwargs)  # type: ignore[no-any-return]


def from_spec(text: str) -> ThresholdStrategy:
    """A label-free strategy from its spec: ``train_mean_std:3``, ``quantile:0.99``, ``fixed:0.5``.

    The exact inverse of :meth:`ThresholdStrategy.spec`:

    >>> from_spec("fixed:1234567.5").spec(), from_spec("quantile:0.99999999").spec()
    ('fixed:1234567.5', 'quantile:0.99999999')
    >>> from_spec("train_mean_std").describe()
    'mean + 3 std of the training-part scores'
    """
    kind, colon, arg = str(text).strip().partition(":")
    kind = ALIASES.get(kind, kind)
    if kind in KEYWORD_STRATEGIES:
        return _keyword_strategy(kind, arg, text)
    if kind not in STRATEGIES:
        oracle = " Oracle thresholds (best F1) are metric families, not --threshold." if "oracle" in kind else ""
        raise ParameterError(f"Unknown threshold strategy {text!r}. Available: {available()}.{oracle}")
    cls, arg_name, default = STRATEGIES[kind]
    if arg_name is None:
        if colon:
            raise ParameterError(f"Threshold {kind!r} takes no argument; got {text!r}.")
        return cls()
    if not colon or not arg.strip():
        if default is None:
            raise ParameterError(f"Threshold {kind!r} needs a value, e.g. {kind}:0.5; got {text!r}.")
        return cls(**{arg_name: default})
    try:
        value = float(arg)
    except ValueError:
        raise ParameterError(f"--threshold {text!r}: {arg!r} is not a number.") from None
    return cls(**{arg_name: value})
