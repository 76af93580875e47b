"""The detector checks: the contract every detector must meet, one function per clause.

Each check takes a factory ``make()`` that builds a fresh, unfitted detector.
It returns when the detector passes, raises ``AssertionError`` saying what is
wrong when it fails, and raises :class:`CheckNotApplicable` with the reason
when it does not apply (the causality check on a detector with
``causal = False``, the streaming checks on one without ``update``, ...).
Run them with :func:`bench.testing.check_detector` or one at a time with
:func:`bench.testing.run_check`.

Capabilities are read from the detector's documented class attributes:
``causal`` and ``multivariate`` (:class:`bench.detectors.base.Detector`),
``chance_level`` (the sanity baselines) and ``supports_update()``.
"""

from __future__ import annotations

import copy
import inspect
import pickle
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import DataError, NotFittedError
from bench.estimator import check_params_contract
from bench.testing._common import Check, CheckNotApplicable, Factory, expect_error
from bench.testing.data import TRAIN, sine_with_spikes

#: How far ``update`` may stray from ``score``, as a fraction of the largest batch score on the stream
#: (see :func:`check_update_matches_score`).
UPDATE_TOLERANCE = 1e-6


def streams(det: Any) -> bool:
    """Whether ``det`` offers streaming ``update`` (its ``supports_update()``, else whether it has one)."""
    probe = getattr(type(det), "supports_update", None)
    return bool(probe()) if callable(probe) else callable(getattr(det, "update", None))


def _data() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, _ = sine_with_spikes()
    return x[:TRAIN], x


def _two_channels() -> NDArray[np.float64]:
    _, x = _data()
    return np.column_stack((x, np.cos(np.arange(x.size) / 4.0)))


def _not_streaming(det: Any) -> CheckNotApplicable:
    return CheckNotApplicable(f"{type(det).__name__} does not stream (no _update, so no update)")


def check_init_stores_params(make: Factory) -> None:
    """Construction stores the hyperparameters unchanged and does no work; ``clone()`` keeps them."""
    check_params_contract(make())


def check_score_before_fit(make: Factory) -> None:
    """``score`` before ``fit`` raises :class:`NotFittedError` telling to call ``fit``."""
    _, x = _data()
    expect_error(NotFittedError, lambda: make().score(x), "fit", what="score() before fit()")


def check_fit_returns_self_no_mutation(make: Factory) -> None:
    """``fit`` returns ``self`` and changes neither the hyperparameters nor the input."""
    train, x = _data()
    det = make()
    params = copy.deepcopy(det.get_params())
    train_copy, x_copy = train.copy(), x.copy()
    assert det.fit(train) is det, "fit must return self"
    det.score(x)
    assert np.array_equal(train, train_copy) and np.array_equal(x, x_copy), "input mutated"
    assert det.get_params() == params, "fit must not change hyperparameters"


def check_output_contract(make: Factory) -> None:
    """``score`` returns a finite ``(n,)`` float64 array aligned with its input."""
    train, x = _data()
    s = make().fit(train).score(x)
    assert isinstance(s, np.ndarray) and s.dtype == np.float64, f"scores dtype {getattr(s, 'dtype', type(s))}"
    assert s.shape == (x.shape[0],), f"scores shape {s.shape} != ({x.shape[0]},)"
    assert np.isfinite(s).all(), "scores must be finite"


def check_1d_and_column_agree(make: Factory) -> None:
    """``(n,)`` and ``(n, 1)`` input give identical scores."""
    train, x = _data()
    a = make().fit(train).score(x)
    b = make().fit(train[:, None]).score(x[:, None])
    np.testing.assert_array_equal(a, b)


def check_multivariate(make: Factory) -> None:
    """A multivariate detector scores ``(n, 2)`` input (and streams its points, if it streams)."""
    det = make()
    if not det.multivariate:
        raise CheckNotApplicable(f"{type(det).__name__} is univariate (multivariate = False)")
    X2 = _two_channels()
    s = det.fit(X2[:TRAIN]).score(X2)
    assert s.shape == (X2.shape[0],) and np.isfinite(s).all()
    if streams(det):
        assert np.isfinite(float(det.update(X2[TRAIN]))), "update must accept a point of the fitted width"


def check_univariate_refuses_channels(make: Factory) -> None:
    """A univariate detector refuses ``(n, 2)`` input with a :class:`DataError` about channels."""
    det = make()
    if det.multivariate:
        raise CheckNotApplicable(
            f"{type(det).__name__} is multivariate: it has no extra channels to refuse (see check_multivariate)"
        )
    expect_error(DataError, lambda: det.fit(_two_channels()[:TRAIN]), "channel", what="a univariate fit on (n, 2)")


def check_deterministic(make: Factory) -> None:
    """The same parameters (seed included) give identical scores, and refitting changes nothing."""
    train, x = _data()
    a = make().fit(train).score(x)
    b = make().fit(train).score(x)
    np.testing.assert_array_equal(a, b, err_msg="same seed must give identical scores")
    det = make().fit(train)
    first = det.score(x)
    det.fit(train)
    np.testing.assert_array_equal(first, det.score(x), err_msg="refitting must change nothing")


def check_pickle(make: Factory) -> None:
    """A pickled and restored fitted detector gives the same scores."""
    train, x = _data()
    det = make().fit(train)
    restored = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(det.score(x), restored.score(x))


def check_causal(make: Factory) -> None:
    """A causal detector's ``score(X)[:k]`` does not change when ``X[k:]`` does."""
    det = make()
    if not det.causal:
        raise CheckNotApplicable(f"{type(det).__name__} is not causal (causal = False)")
    train, x = _data()
    det.fit(train)
    k = 450
    y = x.copy()
    y[k:] = np.random.default_rng(1).normal(5.0, 3.0, size=x.size - k)
    np.testing.assert_array_equal(det.score(x)[:k], det.score(y)[:k], err_msg="score[:k] depends on X[k:]")


def check_streaming_capability(make: Factory) -> None:
    """``hasattr(det, "update")`` agrees with ``supports_update()``, and a Detector does not override ``update``."""
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
    """``update`` scores a point before learning from it (a spike stands out), and is deterministic."""
    det = make()
    if not streams(det):
        raise _not_streaming(det)
    train, x = _data()
    det.fit(train)
    twin = copy.deepcopy(det)
    normal = float(det.update(np.array([x[TRAIN]])))
    spike = float(twin.update(np.array([x[TRAIN] + 8.0])))
    assert np.isfinite(normal) and np.isfinite(spike)
    assert spike > normal, "update must score a point before learning from it (a spike must stand out)"
    a = [float(det.update(np.array([v]))) for v in x[TRAIN + 1 : 360]]
    b_det = make().fit(train)
    b_det.update(np.array([x[TRAIN]]))
    b = [float(b_det.update(np.array([v]))) for v in x[TRAIN + 1 : 360]]
    assert a == b, "update must be deterministic"


def check_update_matches_score(make: Factory) -> None:
    """After ``fit(X[:k])``, ``update(X[t])`` for t = k, k+1, ..., n-1 in turn returns ``score(X)[t]``.

    The streaming contract (``update`` scores a point, then learns from it,
    continuing the series from the end of the training data) makes the
    stream reproduce the batch: each streamed value equals what ``score``
    gives that point when it scores the whole series, training part first.
    Every streamed point is compared, warm-up points included. Two splits:
    the battery's training part (k = 300, streaming the 300-point test
    part), and the shortest training part the detector accepts
    (k = ``min_length()``, streaming up to point 300), where the stream
    crosses the detector's warm-up while its window fills from the training
    tail.

    Tolerance: ``|update - score| <= 1e-6 * max |score(X)[k:]|``
    (:data:`UPDATE_TOLERANCE`), for each split. Float64 detectors agree bit
    for bit (zscore, mad, gaussian and iforest do); the margin is for float32
    models, whose one-row forward pass rounds differently from a batched one:
    on CPU with their test settings the lstm and autoencoder differ by at
    most 3.5e-7 on scores up to 11.8 (3e-8 of the scale), about 30 times
    below the bound. It is relative to the largest score, not to each score,
    because a float32 rounding error scales with the model's inputs and
    outputs, while a score is a difference that can be near 0 (per point, the
    relative differences reach 1e-3). A real departure from the contract (a
    doubled score, a window that does not slide, learning before scoring, a
    stream that ignores the training tail) differs by the order of the
    scores themselves.

    Not applicable to a detector without ``update``, or to a non-causal one:
    its batch score reads points that a stream has not seen yet.
    """
    det = make()
    if not streams(det):
        raise _not_streaming(det)
    if not det.causal:
        raise CheckNotApplicable(
            f"{type(det).__name__} is not causal (causal = False): its batch score reads the future, "
            "which a stream has not seen"
        )
    _, x = _data()
    for k, end in ((TRAIN, x.size), (max(int(det.min_length()), 1), TRAIN)):
        det = make().fit(x[:k])
        batch = det.score(x[:end])[k:]
        streamed = np.array([float(det.update(np.array([v]))) for v in x[k:end]])
        bound = UPDATE_TOLERANCE * float(np.abs(batch).max(initial=0.0))
        worst = np.abs(streamed - batch)
        if not (worst <= bound).all():
            t = int(np.argmax(worst - bound))
            raise AssertionError(
                f"after fit(X[:{k}]), update(X[t]) != score(X)[t] for {int((worst > bound).sum())} of "
                f"{end - k} streamed points (tolerance {bound:.3g} = {UPDATE_TOLERANCE:g} x the largest score); "
                f"first worst at t={k + t}: update gave {streamed[t]!r}, score gave {batch[t]!r}"
            )


def check_update_validates(make: Factory) -> None:
    """``update`` refuses a call before ``fit`` and a bad point, which then changes nothing."""
    det = make()
    if not streams(det):
        raise _not_streaming(det)
    train, x = _data()
    p = np.array([x[TRAIN]])
    expect_error(NotFittedError, lambda: det.update(p), "fit", what="update() before fit()")
    det.fit(train)
    twin = copy.deepcopy(det)
    for bad in (np.nan, np.inf):
        expect_error(DataError, lambda b=bad: det.update(np.array([b])), "channel 0", what=f"update({bad})")
    expect_error(DataError, lambda: det.update(np.array([1.0, 2.0])), "channel", what="update of a 2-value point")
    expect_error(DataError, lambda: det.update(np.array([[x[TRAIN]]])), "shape", what="update of a (1, 1) block")
    assert det.update(x[TRAIN]) == twin.update(x[TRAIN]), "a rejected point must leave the detector unchanged"


def check_detects_spikes(make: Factory) -> None:
    """ROC-AUC above 0.8 on the test part of the sine with spikes (not for chance-level baselines)."""
    from sklearn.metrics import roc_auc_score

    det = make()
    if getattr(det, "chance_level", False):
        raise CheckNotApplicable(f"{type(det).__name__} is a chance-level baseline (chance_level = True)")
    x, labels = sine_with_spikes()
    s = det.fit(x[:TRAIN]).score(x)
    auc = roc_auc_score(labels[TRAIN:], s[TRAIN:])
    assert auc > 0.8, f"ROC-AUC {auc:.3f} on a sine with spikes; expected well above chance"


def check_constant_and_short(make: Factory) -> None:
    """Constant input gives finite scores; too-short input is refused naming the minimum; the minimum works."""
    det = make()
    m = det.min_length()
    const = np.full(max(m, 50) + 10, 3.0)
    s = det.fit(const).score(const)
    assert np.isfinite(s).all() and s.shape == const.shape
    if m > 1:
        expect_error(DataError, lambda: make().fit(np.zeros(m - 1)), str(m), what=f"fit on {m - 1} points")
    s_min = make().fit(np.sin(np.arange(max(m, 2)))).score(np.sin(np.arange(max(m, 2))))
    assert np.isfinite(s_min).all()


def check_nan_rejected(make: Factory) -> None:
    """``fit`` and ``score`` refuse a non-finite value with a :class:`DataError` naming its index."""
    train, x = _data()
    bad = train.copy()
    bad[17] = np.nan
    expect_error(DataError, lambda: make().fit(bad), "17", what="fit with NaN at index 17")
    det = make().fit(train)
    bad_x = x.copy()
    bad_x[123] = np.inf
    expect_error(DataError, lambda: det.score(bad_x), "123", what="score with inf at index 123")


CHECKS: list[Check] = [
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
    check_update_matches_score,
    check_update_validates,
    check_detects_spikes,
    check_constant_and_short,
    check_nan_rejected,
]
"""Every detector check, in the order :func:`bench.testing.check_detector` runs them."""
