"""The detector conformance battery: checks every detector must pass, importable by plug-in authors.

Usage in a test suite::

    from bench.testing import CHECKS
    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_my_detector(check):
        check(lambda: MyDetector(**MyDetector._test_params()))

or ``check_detector(MyDetector)`` to run them all at once.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import DataError, NotFittedError

Factory = Callable[[], Any]


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
    det = make()
    params = det.get_params()
    again = type(det)(**params)
    assert again.get_params() == params, "__init__ must store hyperparameters unchanged"
    learned = [k for k in vars(det) if k.endswith("_") and not k.startswith("_")]
    assert not learned, f"__init__ must not set learned attributes; found {learned}"
    clone = det.clone()
    assert clone is not det and clone.get_params() == params


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


def check_multivariate(make: Factory) -> None:
    train, x = _data()
    X2 = np.column_stack((x, np.cos(np.arange(x.size) / 4.0)))
    det = make()
    if det.multivariate:
        s = det.fit(X2[:300]).score(X2)
        assert s.shape == (x.size,) and np.isfinite(s).all()
    else:
        try:
            det.fit(X2[:300])
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
        return
    train, x = _data()
    det.fit(train)
    k = 450
    y = x.copy()
    y[k:] = np.random.default_rng(1).normal(5.0, 3.0, size=x.size - k)
    np.testing.assert_array_equal(det.score(x)[:k], det.score(y)[:k], err_msg="score[:k] depends on X[k:]")


def check_streaming(make: Factory) -> None:
    det = make()
    if not callable(getattr(det, "update", None)):
        return
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


def check_detects_spikes(make: Factory) -> None:
    from sklearn.metrics import roc_auc_score

    x, labels = sine_with_spikes()
    det = make()
    s = det.fit(x[:300]).score(x)
    auc = roc_auc_score(labels[300:], s[300:])
    if getattr(det, "chance_level", False):  # the random and null sanity baselines: chance by design
        assert 0.2 < auc < 0.8, f"chance-level baseline scored ROC-AUC {auc:.3f}; it must not detect anything"
        return
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
    check_deterministic,
    check_pickle,
    check_causal,
    check_streaming,
    check_detects_spikes,
    check_constant_and_short,
    check_nan_rejected,
]


def check_detector(cls: Any, params: dict[str, Any] | None = None) -> None:
    """Run every check on ``cls`` built with ``params`` (default: its ``_test_params()``)."""
    kwargs = cls._test_params() if params is None else params
    for check in CHECKS:
        check(lambda: cls(**kwargs))
