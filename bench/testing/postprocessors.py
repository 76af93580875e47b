"""The post-processor checks: the contract every score post-processor must meet, one function per clause.

Each check takes a factory ``make()`` that builds a fresh, unfitted
post-processor (:class:`bench.postprocess.base.PostProcessor`). It returns
when the post-processor passes, raises ``AssertionError`` saying what is
wrong when it fails, and raises :class:`CheckNotApplicable` with the reason
when it does not apply (causality and streaming equal to ``transform`` on a
post-processor with ``causal = False``). Run them with
:func:`bench.testing.check_postprocessor` or one at a time with
:func:`bench.testing.run_check`.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import DataError, NotFittedError
from bench.estimator import check_params_contract
from bench.testing._common import Check, CheckNotApplicable, Factory, expect_error
from bench.testing.data import TRAIN, N, raw_scores


def _vals(pp: Any, values: NDArray[np.float64]) -> NDArray[np.float64] | None:
    return values if pp.needs_values else None


def _fit(pp: Any, scores: NDArray[np.float64], values: NDArray[np.float64], k: int = TRAIN) -> Any:
    return pp.fit(scores[:k], _vals(pp, values[:k]))


def check_init_stores_params(make: Factory) -> None:
    """Construction stores the hyperparameters unchanged; ``default_params()`` lists every one of them."""
    pp = make()
    check_params_contract(pp)
    params = pp.get_params()
    assert set(type(pp).default_params()) == set(params), "default_params must list every hyperparameter"


def check_transform_before_fit(make: Factory) -> None:
    """``transform`` and ``update`` before ``fit`` raise :class:`NotFittedError` telling to call ``fit``."""
    s, v = raw_scores()
    pp = make()
    expect_error(NotFittedError, lambda: pp.transform(s, _vals(pp, v)), "fit", what="transform() before fit()")
    expect_error(NotFittedError, lambda: make().update(s[0], v[0]), "fit", what="update() before fit()")


def check_fit_returns_self_no_mutation(make: Factory) -> None:
    """``fit`` returns ``self`` and changes neither the hyperparameters nor the input."""
    s, v = raw_scores()
    pp = make()
    params = copy.deepcopy(pp.get_params())
    s_copy, v_copy = s.copy(), v.copy()
    assert _fit(pp, s, v) is pp, "fit must return self"
    pp.transform(s, _vals(pp, v))
    assert np.array_equal(s, s_copy) and np.array_equal(v, v_copy), "input mutated"
    assert pp.get_params() == params, "fit must not change hyperparameters"


def check_output_contract(make: Factory) -> None:
    """``transform`` returns finite ``(n,)`` float64 aligned with the scores, also for empty and constant input."""
    s, v = raw_scores()
    pp = _fit(make(), s, v)
    out = pp.transform(s, _vals(pp, v))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64, f"output dtype {getattr(out, 'dtype', type(out))}"
    assert out.shape == s.shape, f"output shape {out.shape} != {s.shape}: it must stay aligned with the scores"
    assert np.isfinite(out).all(), "output must be finite"
    empty = pp.transform(s[:0], _vals(pp, v[:0]))
    assert empty.shape == (0,), f"an empty input must give an empty output; got shape {empty.shape}"
    const = pp.transform(np.full(N, 0.7), _vals(pp, np.full(N, 2.0)))
    assert np.isfinite(const).all(), "constant scores must give finite output"


def check_warmup(make: Factory) -> None:
    """``n_warmup_`` is a count set by fit; the output's first ``n_warmup_`` points are one placeholder value."""
    s, v = raw_scores()
    pp = make()
    assert not hasattr(pp, "n_warmup_"), "n_warmup_ is learned: fit sets it"
    _fit(pp, s, v)
    nw = pp.n_warmup_
    assert isinstance(nw, int) and nw >= 0, f"n_warmup_ must be an int >= 0; got {nw!r}"
    out = pp.transform(s, _vals(pp, v))
    assert np.unique(out[:nw]).size <= 1, "the warm-up points must all get the same placeholder score"


def check_deterministic(make: Factory) -> None:
    """The same input gives identical output; refitting and transforming change nothing."""
    s, v = raw_scores()
    a = _fit(make(), s, v).transform(s, _vals(make(), v))
    b = _fit(make(), s, v).transform(s, _vals(make(), v))
    np.testing.assert_array_equal(a, b, err_msg="the same input must give identical output")
    pp = _fit(make(), s, v)
    first = pp.transform(s, _vals(pp, v))
    _fit(pp, s, v)
    np.testing.assert_array_equal(first, pp.transform(s, _vals(pp, v)), err_msg="refitting must change nothing")
    np.testing.assert_array_equal(first, pp.transform(s, _vals(pp, v)), err_msg="transform must not change state")


def check_pickle(make: Factory) -> None:
    """A pickled and restored fitted post-processor gives the same output."""
    s, v = raw_scores()
    pp = _fit(make(), s, v)
    restored = pickle.loads(pickle.dumps(pp))
    np.testing.assert_array_equal(pp.transform(s, _vals(pp, v)), restored.transform(s, _vals(pp, v)))


def _not_causal(pp: Any, why: str) -> CheckNotApplicable:
    return CheckNotApplicable(f"{type(pp).__name__} is not causal (causal = False): {why}")


def check_causal(make: Factory) -> None:
    """Changing the scores (and values) from point k on never changes the output before k."""
    pp = make()
    if not pp.causal:
        raise _not_causal(pp, "its output may depend on later scores")
    s, v = raw_scores()
    _fit(pp, s, v)
    base = pp.transform(s, _vals(pp, v))
    rng = np.random.default_rng(1)
    for k in (TRAIN - 1, TRAIN, 450, N - 1):
        s2, v2 = s.copy(), v.copy()
        s2[k:] = rng.uniform(0.0, 50.0, size=N - k)
        v2[k:] = rng.normal(10.0, 5.0, size=N - k)
        np.testing.assert_array_equal(
            base[:k], pp.transform(s2, _vals(pp, v2))[:k], err_msg=f"output[:{k}] depends on scores[{k}:]"
        )


def _update_all(pp: Any, s: NDArray[np.float64], v: NDArray[np.float64]) -> list[float]:
    return [pp.update(x, y if pp.needs_values else None) for x, y in zip(s, v, strict=True)]


def check_streaming(make: Factory) -> None:
    """After fit(train), update() on each later point returns exactly transform(train + stream)[len(train):].

    Exact equality, for three training parts (300 points, empty, one point).
    Not applicable to a non-causal post-processor: its ``transform`` reads
    scores that a stream has not seen yet.
    """
    pp = make()
    if not pp.causal:
        raise _not_causal(pp, "its transform may read scores that a stream has not seen")
    s, v = raw_scores()
    for k in (TRAIN, 0, 1):
        pp = _fit(make(), s, v, k)
        batch = pp.transform(s, _vals(pp, v))[k:]
        stream = np.array(_update_all(pp, s[k:], v[k:]))
        np.testing.assert_array_equal(stream, batch, err_msg=f"update() after fit(scores[:{k}]) != transform()")


def check_update_deterministic(make: Factory) -> None:
    """Two post-processors fitted alike return the same ``update`` values on the same stream."""
    s, v = raw_scores()
    a = _update_all(_fit(make(), s, v), s[TRAIN:360], v[TRAIN:360])
    b = _update_all(_fit(make(), s, v), s[TRAIN:360], v[TRAIN:360])
    assert a == b, "update must be deterministic"


def _expect_data_error(call: Callable[[], Any], *needles: str, what: str) -> None:
    expect_error(DataError, call, *needles, what=what)


def check_input_validation(make: Factory) -> None:
    """Non-finite or misshapen scores (and values, where read) are refused with a :class:`DataError` saying where."""
    s, v = raw_scores()
    bad = s.copy()
    bad[17] = np.nan
    _expect_data_error(lambda: _fit(make(), bad, v), "17", what="fit with NaN at index 17")
    pp = _fit(make(), s, v)
    bad = s.copy()
    bad[123] = np.inf
    _expect_data_error(lambda: pp.transform(bad, _vals(pp, v)), "123", what="transform with inf at index 123")
    _expect_data_error(lambda: pp.transform(np.column_stack((s, s)), _vals(pp, v)), "(600, 2)", what="2-D scores")
    _expect_data_error(lambda: pp.update(float("nan"), v[0]), "nan", what="update(nan)")
    if pp.needs_values:
        _expect_data_error(lambda: make().fit(s[:TRAIN]), "values", what="fit without the values it needs")
        _expect_data_error(lambda: pp.transform(s, v[:-1]), "599", what="values misaligned with the scores")
        badv = v.copy()
        badv[42] = np.nan
        _expect_data_error(lambda: pp.transform(s, badv), "42", what="transform with a NaN value at index 42")
        _expect_data_error(lambda: pp.update(0.1, float("nan")), "nan", what="update with a NaN value")


def check_short_training(make: Factory) -> None:
    """A training part that is empty or a single point is accepted; the output stays finite."""
    s, v = raw_scores()
    for k in (0, 1, 2):
        pp = _fit(make(), s, v, k)
        out = pp.transform(s, _vals(pp, v))
        assert out.shape == s.shape and np.isfinite(out).all(), f"fit on {k} point(s): bad output"


CHECKS: list[Check] = [
    check_init_stores_params,
    check_transform_before_fit,
    check_fit_returns_self_no_mutation,
    check_output_contract,
    check_warmup,
    check_deterministic,
    check_pickle,
    check_causal,
    check_streaming,
    check_update_deterministic,
    check_input_validation,
    check_short_training,
]
"""Every post-processor check, in the order :func:`bench.testing.check_postprocessor` runs them."""
