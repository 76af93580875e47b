"""The detector conformance battery: checks every detector must pass, importable by plug-in authors.

Usage in a test suite::

    from bench.testing import CHECKS, run_check
    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_my_detector(check):
        result = run_check(check, lambda: MyDetector(**MyDetector._test_params()))
        if result.skipped:
            pytest.skip(result.reason)

or ``check_detector(MyDetector)`` to run them all at once. A check that
fails raises ``AssertionError``; a check that does not apply to the
detector (the causality check on a non-causal detector, the streaming checks
on one without ``update``, ...) raises :class:`CheckNotApplicable` with the
reason, and is reported as skipped, never as passed.
"""

from __future__ import annotations

import copy
import inspect
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from bench.errors import DataError, NotFittedError
from bench.estimator import check_params_contract
from bench.postprocess.checks import CHECKS as POSTPROCESSOR_CHECKS
from bench.postprocess.checks import check_postprocessor

__all__ = [
    "CHECKS",
    "POSTPROCESSOR_CHECKS",
    "check_detector",
    "check_postprocessor",
    "run_check",
    "sine_with_spikes",
]

Factory = Callable[[], Any]


class CheckNotApplicable(Exception):
    """Raised by a check that does not apply to the detector at hand; the message is the reason."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check that did not fail: ``"passed"``, or ``"skipped"`` with the reason."""

    check: str
    status: Literal["passed", "skipped"]
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"


def streams(det: Any) -> bool:
    """Whether ``det`` offers streaming ``update`` (its ``supports_update()``, else whether it has one)."""
    probe = getattr(type(det), "supports_update", None)
    return bool(probe()) if callable(probe) else callable(getattr(det, "update", None))


def sine_with_spikes(n: int = 600, train: int = 300, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """A noisy sine (period 25) with 6 spikes in its second part, and their labels."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 25) + 0.05 * rng.standard_normal(n)
    labels = np.zeros(n, dtype=np.int8)
    spikes = np.linspace(train + 30, n - 30, 6).astype(int)
    x[spikes] += np.where(np.arange(6) % 2 == 0, 4.0, -4.0)
    labels[spikes] = 1
    return x, labels


def _data() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, _ = sine_with_spikes()
    return x[:300], x


def check_init_stores_params(make: Factory) -> None:
    check_params_contract(make())


def check_score_before_fit(make: Factory) -> None:
    _, x = _data()
    try:
        make().score(x)
    except NotFittedError as exc:
        assert "fit" in str(exc)
    else:
        raise AssertionError("score() before fit() must raise NotFittedError")


def check_fit_returns_self_no_mutation(make: Factory) -> None:
    train, x = _data()
    det = make()
    params = copy.deepcopy(det.get_params())
    train_copy, x_copy = train.copy(), x.copy()
    assert det.fit(train) is det, "fit must return self"
    det.score(x)
    assert np.array_equal(train, train_copy) and np.array_equal(x, x_copy), "input mutated"
    assert det.get_params() == params, "fit must not change hyperparameters"


def check_output_contract(make: Factory) -> None:
    train, x = _data()
    s = make().fit(train).score(x)
    assert isinstance(s, np.ndarray) and s.dtype == np.float64, f"scores dtype {getattr(s, 'dtype', type(s))}"
    assert s.shape == (x.shape[0],), f"scores shape {s.shape} != ({x.shape[0]},)"
    assert np.isfinite(s).all(), "scores must be finite"


def check_1d_and_column_agree(make: Factory) -> None:
    train, x = _data()
    a = make().fit(train).score(x)
    b = make().fit(train[:, None]).score(x[:, None])
    np.testing.assert_array_equal(a, b)


def _two_channels() -> NDArray[np.float64]:
    _, x = _data()
    return np.column_stack((x, np.cos(np.arange(x.size) / 4.0)))


def check_multivariate(make: Factory) -> None:
    det = make()
    if not det.multivariate:
        raise CheckNotApplicable(f"{type(det).__name__} is univariate (multivariate = False)")
    X2 = _two_channels()
    s = det.fit(X2[:300]).score(X2)
    assert s.shape == (X2.shape[0],) and np.isfinite(s).all()
    if streams(det):
        assert np.isfinite(float(det.update(X2[300]))), "update must accept a point of the fitted width"


def check_univariate_refuses_channels(make: Factory) -> None:
    det = make()
    if det.multivariate:
        raise CheckNotApplicable(
            f"{type(det).__name__} is multivariate: it has no extra channels to refuse (see check_multivariate)"
        )
    try:
        det.fit(_two_channels()[:300])
    except DataError as exc:
        assert "channel" in str(exc)
    else:
        raise AssertionError("a univariate detector must refuse (n, 2) input with DataError")


def check_deterministic(make: Factory) -> None:
    train, x = _data()
    a = make().fit(train).score(x)
    b = make().fit(train).score(x)
    np.testing.assert_array_equal(a, b, err_msg="same seed must give identical scores")
    det = make().fit(train)
    first = det.score(x)
    det.fit(train)
    np.testing.assert_array_equal(first, det.score(x), err_msg="refitting must change nothing")


def check_pickle(make: Factory) -> None:
    train, x = _data()
    det = make().fit(train)
    restored = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(det.score(x), restored.score(x))


def check_causal(make: Factory) -> None:
    det = make()
    if not det.causal:
        raise CheckNotApplicable(f"{type(det).__name__} is not causal (causal = False)")
    train, x = _data()
    det.fit(train)
    k = 450
    y = x.copy()
    y[k:] = np.random.default_rng(1).normal(5.0, 3.0, size=x.size - k)
    np.testing.assert_array_equal(det.score(x)[:k], det.score(y)[:k], err_msg="score[:k] depends on X[k:]")


def _not_streaming(det: Any) -> CheckNotApplicable:
    return CheckNotApplicable(f"{type(det).__name__} does not stream (no _update, so no update)")


def check_streaming_capability(make: Factory) -> None:
    det = make()
    has_update = callable(getattr(det, "update", None))
    assert has_update == streams(det), (
        f"hasattr(update) is {has_update} but supports_update() is {streams(det)}: define _update(x), "
        "and the base class provides update"
    )
    from bench.detectors.base import Detector

    if isinstance(det, Detector):
        own = inspect.getattr_static(type(det), "update")
        assert own is inspect.getattr_static(Detector, "update"), (
            f"{type(det).__name__} overrides update(); implement _update(x) instead, so the base class "
            "checks fitting and validates the point"
        )


def check_streaming(make: Factory) -> None:
    det = make()
    if not streams(det):
        raise _not_streaming(det)
    train, x = _data()
    det.fit(train)
    twin = copy.deepcopy(det)
    normal = float(det.update(np.array([x[300]])))
    spike = float(twin.update(np.array([x[300] + 8.0])))
    assert np.isfinite(normal) and np.isfinite(spike)
    assert spike > normal, "update must score a point before learning from it (a spike must stand out)"
    a = [float(det.update(np.array([v]))) for v in x[301:360]]
    b_det = make().fit(train)
    b_det.update(np.array([x[300]]))
    b = [float(b_det.update(np.array([v]))) for v in x[301:360]]
    assert a == b, "update must be deterministic"


def _expect(error: type[Exception], call: Callable[..., Any], arg: Any, *, what: str, says: str = "") -> None:
    try:
        call(arg)
    except error as exc:
        assert says in str(exc), f"{what}: the {error.__name__} must mention {says!r}; got: {exc}"
    else:
        raise AssertionError(f"{what} must raise {error.__name__}")


def check_update_validates(make: Factory) -> None:
    det = make()
    if not streams(det):
        raise _not_streaming(det)
    train, x = _data()
    _expect(NotFittedError, det.update, np.array([x[300]]), what="update() before fit()", says="fit")
    det.fit(train)
    twin = copy.deepcopy(det)
    for bad in (np.nan, np.inf):
        _expect(DataError, det.update, np.array([bad]), what=f"update({bad})", says="channel 0")
    _expect(DataError, det.update, np.array([1.0, 2.0]), what="update of a 2-value point", says="channel")
    _expect(DataError, det.update, np.array([[x[300]]]), what="update of a (1, 1) block", says="shape")
    assert det.update(x[300]) == twin.update(x[300]), "a rejected point must leave the detector unchanged"


def check_detects_spikes(make: Factory) -> None:
    from sklearn.metrics import roc_auc_score

    det = make()
    if getattr(det, "chance_level", False):
        raise CheckNotApplicable(f"{type(det).__name__} is a chance-level baseline (chance_level = True)")
    x, labels = sine_with_spikes()
    s = det.fit(x[:300]).score(x)
    auc = roc_auc_score(labels[300:], s[300:])
    assert auc > 0.8, f"ROC-AUC {auc:.3f} on a sine with spikes; expected well above chance"


def check_constant_and_short(make: Factory) -> None:
    det = make()
    m = det.min_length()
    const = np.full(max(m, 50) + 10, 3.0)
    s = det.fit(const).score(const)
    assert np.isfinite(s).all() and s.shape == const.shape
    if m > 1:
        try:
            make().fit(np.zeros(m - 1))
        except DataError as exc:
            assert str(m) in str(exc), f"too-short error must name the minimum {m}: {exc}"
        else:
            raise AssertionError(f"fit on {m - 1} points must raise DataError (minimum {m})")
    s_min = make().fit(np.sin(np.arange(max(m, 2)))).score(np.sin(np.arange(max(m, 2))))
    assert np.isfinite(s_min).all()


def check_nan_rejected(make: Factory) -> None:
    train, x = _data()
    bad = train.copy()
    bad[17] = np.nan
    try:
        make().fit(bad)
    except DataError as exc:
        assert "17" in str(exc), f"NaN error must name the index: {exc}"
    else:
        raise AssertionError("fit must reject NaN with DataError")
    det = make().fit(train)
    bad_x = x.copy()
    bad_x[123] = np.inf
    try:
        det.score(bad_x)
    except DataError as exc:
        assert "123" in str(exc)
    else:
        raise AssertionError("score must reject inf with DataError")


CHECKS: list[Callable[[Factory], None]] = [
    check_init_stores_params,
    check_score_before_fit,
    check_fit_returns_self_no_mutation,
    check_output_contract,
    check_1d_and_column_agree,
    check_multivariate,
    check_univariate_refuses_channels,
    check_deterministic,
    check_pickle,
    check_causal,
    check_streaming_capability,
    check_streaming,
    check_update_validates,
    check_detects_spikes,
    check_constant_and_short,
    check_nan_rejected,
]


def run_check(check: Callable[[Factory], None], make: Factory) -> CheckResult:
    """Run one check: passed, or skipped with the reason when it does not apply; a failure raises."""
    name = check.__name__.removeprefix("check_")
    try:
        check(make)
    except CheckNotApplicable as exc:
        return CheckResult(name, "skipped", str(exc))
    return CheckResult(name, "passed")


def check_detector(cls: Any, params: dict[str, Any] | None = None) -> list[CheckResult]:
    """Run every check on ``cls`` built with ``params`` (default: its ``_test_params()``).

    Returns one :class:`CheckResult` per check in :data:`CHECKS` order; the
    first failing check raises its ``AssertionError`` (or the detector's own
    exception).
    """
    kwargs = cls._test_params() if params is None else params
    return [run_check(check, lambda: cls(**kwargs)) for check in CHECKS]
