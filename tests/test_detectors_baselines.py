"""Baseline detectors: hand-computed scores, streaming continuation, seeds, edge cases and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bench import registry
from bench.detectors.iforest import IsolationForestDetector
from bench.detectors.statistical import MIN_SCALE, GaussianDetector, MADDetector, ZScoreDetector
from bench.detectors.trivial import NullDetector, RandomDetector
from bench.errors import DataError, NotFittedError, ParameterError
from bench.testing import sine_with_spikes

torch.set_num_threads(1)  # small models: one thread is fastest and keeps runs comparable

NAMES = ["zscore", "gaussian", "mad", "iforest", "autoencoder", "random", "null"]


def _make(name: str, **extra: object):  # type: ignore[no-untyped-def]
    cls = registry.get_detector_class(name)
    return cls(**{**cls._test_params(), **extra})


# ------------------------------------------------------------------ hand-computed scores
def test_zscore_by_hand() -> None:
    # window 3 before x[3] = 10 is [1, 2, 3]: mean 2, population std sqrt(2/3) -> |10 - 2| / 0.81650 = 9.79796.
    # x[4] = 4 against [2, 3, 10]: mean 5, std sqrt((9 + 4 + 25) / 3) = 3.55903 -> 1 / 3.55903 = 0.28098.
    x = np.array([1.0, 2.0, 3.0, 10.0, 4.0])
    s = ZScoreDetector(window_size=3).fit(x).score(x)
    np.testing.assert_allclose(s, [0, 0, 0, 8 / math.sqrt(2 / 3), 1 / math.sqrt(38 / 3)], rtol=1e-12)


def test_mad_by_hand_and_zero_mad_fallback() -> None:
    # [1, 2, 3] before 10: median 2, |dev| = [1, 0, 1], MAD 1 -> 8 / 1.4826 = 5.39593.
    x = np.array([1.0, 2.0, 3.0, 10.0])
    s = MADDetector(window_size=3).fit(x).score(x)
    np.testing.assert_allclose(s, [0, 0, 0, 8 / 1.4826], rtol=1e-12)
    # [5, 5, 5, 6] before 7: median 5, MAD 0 -> fallback 1.2533 * mean |dev| = 1.2533 * 0.25; |7 - 5| / 0.313325.
    y = np.array([5.0, 5.0, 5.0, 6.0, 7.0])
    s = MADDetector(window_size=4).fit(y).score(y)
    assert s[4] == pytest.approx(2 / (1.2533 * 0.25), rel=1e-12)


def test_mad_is_robust_where_zscore_is_masked() -> None:
    # One earlier outlier inflates the rolling std but not the MAD: the next outlier stands out only for MAD.
    x = np.tile([0.0, 1.0], 30)
    x[40], x[50] = 50.0, 50.0
    z = ZScoreDetector(window_size=20).fit(x).score(x)
    m = MADDetector(window_size=20).fit(x).score(x)
    assert z[50] < z[40] / 2
    # MAD: the median moves from 0.5 to 1 and the MAD stays 0.5, so 49 / 0.7413 vs 49.5 / 0.7413.
    assert m[50] > 0.9 * m[40]


def test_multivariate_rolling_score_is_max_over_channels() -> None:
    # Channel 0 as in test_zscore_by_hand (9.798 at t=3); channel 1 = 2 * channel 0 gives the same |z|;
    # channel 2 jumps by 1 over [0, 0, 1] (z = 1 / 0.4714 = 2.1213): the max is channel 0/1's.
    a = np.array([1.0, 2.0, 3.0, 10.0])
    X = np.column_stack((a, 2 * a, [0.0, 0.0, 1.0, 2.0]))
    s = ZScoreDetector(window_size=3).fit(X).score(X)
    assert s[3] == pytest.approx(8 / math.sqrt(2 / 3), rel=1e-12)


@pytest.mark.parametrize("cls", [ZScoreDetector, MADDetector])
def test_flat_window_edge_cases(cls: type) -> None:
    x = np.array([3.0] * 10 + [3.0, 3.5])
    s = cls(window_size=5).fit(x).score(x)
    assert s[10] == 0.0, "an unchanged value after a flat window scores 0"
    assert s[11] == pytest.approx(0.5 / MIN_SCALE), "a change after a flat window scores |dev| / MIN_SCALE"


def test_gaussian_constant_input_uses_nab_std_floor() -> None:
    # NAB replaces std 0 by 1e-6: the repeated value scores 1 - Q(0) = 0.5, a different one 1 - Q(huge) = 1.0.
    x = np.array([2.0] * 8 + [2.001])
    s = GaussianDetector(window_size=4, step_size=2).fit(x[:4]).score(x)
    np.testing.assert_array_equal(s, [0.0] + [0.5] * 7 + [1.0])


# ------------------------------------------------------------------ streaming continues the series
@pytest.mark.parametrize("name", ["zscore", "mad", "gaussian", "iforest", "autoencoder"])
@pytest.mark.parametrize("k", [5, 300])
def test_update_continues_from_training_data(name: str, k: int) -> None:
    """fit(x[:k]) then update() on the next 120 points gives score(x) there (the window fills from the training tail).

    With the test settings the stream crosses the rolling windows' warm-up (30) for k=5, and the Gaussian's
    growth (100 rows) and two of its 10-row slides.
    """
    x, _ = sine_with_spikes(n=420)
    det = _make(name)
    k = max(k, det.min_length())
    det.fit(x[:k])
    batch = det.score(x)[k : k + 120]
    streamed = np.array([det.update(np.array([v])) for v in x[k : k + 120]])
    if name == "autoencoder":  # float32 matmuls on 1 row vs a batch may round differently
        np.testing.assert_allclose(streamed, batch, rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_array_equal(streamed, batch)


@pytest.mark.parametrize("name", ["zscore", "mad", "gaussian", "iforest", "autoencoder"])
def test_update_before_fit_is_refused(name: str) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        _make(name).update(np.array([1.0]))


STREAMING = ["zscore", "mad", "gaussian", "iforest", "autoencoder", "lstm"]


def test_zscore_update_of_nan_is_refused_and_does_not_poison_later_points() -> None:
    """Bug (issue 8, item 7): ZScoreDetector.update(nan) returned NaN and every later score was NaN too."""
    x, _ = sine_with_spikes()
    det = ZScoreDetector(window_size=30).fit(x[:300])
    clean = ZScoreDetector(window_size=30).fit(x[:300])
    with pytest.raises(DataError, match=r"non-finite value nan in channel 0"):
        det.update(np.nan)
    after = [det.update(v) for v in x[300:340]]
    assert np.isfinite(after).all()
    assert after == [clean.update(v) for v in x[300:340]]


@pytest.mark.parametrize("name", STREAMING)
def test_update_of_a_point_of_the_wrong_width_is_a_data_error(name: str) -> None:
    """Bug (issue 8, item 7): a point of the wrong width raised numpy's broadcasting error, or was scored."""
    x, _ = sine_with_spikes()
    det = _make(name).fit(x[:300])
    with pytest.raises(DataError, match=r"fitted on 1 channel\(s\); update got a point with 2"):
        det.update(np.array([1.0, 2.0]))
    assert np.isfinite(det.update(x[300]))  # the refused point changed nothing


@pytest.mark.parametrize("name", STREAMING)
def test_update_accepts_a_scalar_or_a_row_and_refuses_a_block(name: str) -> None:
    x, _ = sine_with_spikes()
    a, b = _make(name).fit(x[:300]), _make(name).fit(x[:300])
    assert a.update(x[300]) == b.update(np.array([x[300]]))
    with pytest.raises(DataError, match=r"one point.*got shape \(2, 1\)"):
        a.update(x[300:302, None])
    with pytest.raises(DataError, match="numeric"):
        a.update("high")


def test_streaming_is_a_capability_the_class_declares() -> None:
    assert ZScoreDetector.supports_update() and hasattr(ZScoreDetector(), "update")
    assert not RandomDetector.supports_update() and not hasattr(RandomDetector(), "update")
    with pytest.raises(AttributeError, match="RandomDetector does not stream.*score"):
        RandomDetector().fit(np.arange(5.0)).update(1.0)


# ------------------------------------------------------------------ window-based learners
@pytest.mark.parametrize("centre", [False, True])
def test_iforest_is_sklearn_score_with_sign_turned_on_last_point(centre: bool) -> None:
    from sklearn.ensemble import IsolationForest

    x, _ = sine_with_spikes()
    det = IsolationForestDetector(window_size=4, n_estimators=20, seed=3, centre_windows=centre).fit(x[:300])
    windows = np.lib.stride_tricks.sliding_window_view(x, 4)
    if centre:  # each window minus its own mean
        windows = windows - windows.mean(axis=1, keepdims=True)
    ref = IsolationForest(n_estimators=20, random_state=3).fit(windows[:297])
    s = det.score(x)
    assert det.n_warmup_ == 3 and np.all(s[:3] == 0.0)
    np.testing.assert_array_equal(s[3:], -ref.score_samples(windows))
    assert np.all(s[3:] > 0) and np.all(s[3:] <= 1)


@pytest.mark.parametrize("name", ["iforest", "autoencoder"])
def test_seed_matters_and_too_short_names_minimum(name: str) -> None:
    x, _ = sine_with_spikes()
    a = _make(name, seed=0).fit(x[:300]).score(x)
    b = _make(name, seed=1).fit(x[:300]).score(x)
    assert not np.array_equal(a, b), "a different seed must give different scores"
    det = _make(name, window_size=12)
    with pytest.raises(DataError, match="12"):
        det.fit(x[:11])


def test_autoencoder_device_auto_and_missing_cuda() -> None:
    x, _ = sine_with_spikes()
    det = _make("autoencoder", device="auto").fit(x[:300])
    assert det.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    assert len(det.history_) == det.epochs and det.history_[-1]["train_loss"] < det.history_[0]["train_loss"]
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="CUDA"):
            _make("autoencoder", device="cuda").fit(x[:300])


def test_autoencoder_leaves_global_torch_rng_alone() -> None:
    x, _ = sine_with_spikes()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _make("autoencoder").fit(x[:300])
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------ sanity baselines
def test_random_is_seeded_uniform_and_causal() -> None:
    x, labels = sine_with_spikes()
    a = RandomDetector(seed=5).fit(x[:300]).score(x)
    assert np.all((a >= 0) & (a < 1)) and np.unique(a).size == a.size
    np.testing.assert_array_equal(a, RandomDetector(seed=5).fit(x[:10]).score(x + 7.0))
    np.testing.assert_array_equal(a[:100], RandomDetector(seed=5).fit(x).score(x[:100]))
    assert not np.array_equal(a, RandomDetector(seed=6).fit(x).score(x))


@pytest.mark.parametrize("name", ["random", "null"])
def test_chance_level_baselines_detect_nothing(name: str) -> None:
    from sklearn.metrics import roc_auc_score

    x, labels = sine_with_spikes()
    det = _make(name)
    assert det.chance_level
    auc = roc_auc_score(labels[300:], det.fit(x[:300]).score(x)[300:])
    assert 0.2 < auc < 0.8, f"chance-level baseline scored ROC-AUC {auc:.3f}; it must not detect anything"


def test_null_is_constant() -> None:
    x, _ = sine_with_spikes()
    np.testing.assert_array_equal(NullDetector(value=0.25).fit(x).score(x), np.full(x.size, 0.25))
    with pytest.raises(ParameterError, match="nan"):
        NullDetector(value=float("nan")).fit(x)


# ------------------------------------------------------------------ parameters and registry
@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        ("zscore", "window_size", 1),
        ("mad", "window_size", 0),
        ("gaussian", "step_size", 0),
        ("iforest", "window_size", 2.5),
        ("iforest", "max_features", 0.0),
        ("autoencoder", "learning_rate", -1.0),
        ("random", "seed", -1),
    ],
)
def test_bad_parameter_is_refused_at_fit_with_value(name: str, param: str, value: object) -> None:
    det = _make(name, **{param: value})  # construction does no validation
    with pytest.raises(ParameterError, match=param):
        det.fit(np.arange(50.0))


@pytest.mark.parametrize("name", NAMES)
def test_registered_and_documented(name: str) -> None:
    cls = registry.get_detector_class(name)
    assert cls.__doc__ and "Parameters" in cls.__doc__
    det = registry.make_detector(name, cls._test_params())
    x, _ = sine_with_spikes()
    s = det.fit(x[:300]).score(x)
    assert s.shape == x.shape and s.dtype == np.float64
    assert np.all(s[: det.n_warmup_] == s.min()), "warm-up points get the lowest score"


@pytest.mark.parametrize("name", ["iforest", "autoencoder"])
def test_centred_windows_forget_a_past_level_shift(name: str) -> None:
    x = np.sin(2 * np.pi * np.arange(600) / 25) + 0.05 * np.random.default_rng(3).standard_normal(600)
    x[450:] += 5 * x[:300].std()
    late, before = slice(520, 600), slice(320, 440)
    centred = _make(name, centre_windows=True).fit(x[:300]).score(x)
    levels = _make(name, centre_windows=False).fit(x[:300]).score(x)
    assert centred[450:460].max() > np.percentile(centred[before], 99)  # the shift itself stands out
    assert np.median(centred[late]) < 2 * np.median(centred[before])  # and is forgotten once past
    assert np.median(levels[late]) > np.percentile(levels[before], 99)  # uncentred, every later window looks new
