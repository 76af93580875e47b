"""LSTM forecaster specifics beyond the conformance battery."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.detectors._torch import resolve_device
from bench.detectors.lstm import LSTMDetector, sliding_windows
from bench.errors import DataError, ParameterError
from bench.testing import sine_with_spikes

torch.set_num_threads(1)
SMALL = {"window_size": 10, "hidden_size": 16, "num_layers": 1, "epochs": 8, "device": "cpu"}


def test_sliding_windows_pair_each_window_with_the_next_point() -> None:
    X = np.arange(12.0).reshape(6, 2)
    w = sliding_windows(X, 3)
    assert w.shape == (3, 3, 2)
    np.testing.assert_array_equal(w[0], X[0:3])
    np.testing.assert_array_equal(w[-1], X[2:5])  # predicts X[5], the last point


def test_first_window_gets_the_lowest_score_and_the_count_is_kept() -> None:
    x, _ = sine_with_spikes()
    det = LSTMDetector(**SMALL).fit(x[:300])
    s = det.score(x)
    assert det.n_warmup_ == 10
    assert (s[:10] == 0.0).all() and (s[10:] > 0).all()


def test_normalisation_uses_the_training_part_only() -> None:
    x, _ = sine_with_spikes()
    det = LSTMDetector(**SMALL).fit(x[:300] * 10 + 5)
    assert det.mean_[0] == pytest.approx((x[:300] * 10 + 5).mean())
    assert det.std_[0] == pytest.approx((x[:300] * 10).std())


def test_early_stopping_keeps_the_best_epoch() -> None:
    x, _ = sine_with_spikes()
    det = LSTMDetector(**{**SMALL, "epochs": 200, "patience": 2}).fit(x[:300])
    assert det.epochs_run_ < 200
    val = [h["val_loss"] for h in det.history_]
    assert det.best_val_loss_ == min(val)
    assert det.epochs_run_ - 1 - int(np.argmin(val)) == 2  # stopped after `patience` epochs without improvement


def test_update_continues_from_the_training_data_like_score() -> None:
    x, _ = sine_with_spikes()
    det = LSTMDetector(**SMALL).fit(x[:300])
    batch = det.score(x)[300:340]
    streamed = [det.update(v) for v in x[300:340]]
    np.testing.assert_allclose(streamed, batch, rtol=1e-5, atol=1e-6)


def test_multivariate_in_and_out() -> None:
    x, _ = sine_with_spikes()
    X = np.column_stack((x, np.cos(np.arange(x.size) / 5)))
    X[450, 1] += 6.0  # an anomaly in the second channel only
    det = LSTMDetector(**SMALL).fit(X[:300])
    s = det.score(X)
    assert det.model_.head.out_features == 2
    assert s[450] > np.percentile(s[300:], 99)


def test_parameters_are_checked_in_fit_with_clear_errors() -> None:
    x, _ = sine_with_spikes()
    LSTMDetector(window_size=0)  # construction does no validation
    with pytest.raises(ParameterError, match="window_size must be an integer >= 1; got 0"):
        LSTMDetector(window_size=0).fit(x)
    with pytest.raises(ParameterError, match="validation_fraction"):
        LSTMDetector(validation_fraction=1.5).fit(x)
    with pytest.raises(DataError, match=r"needs at least 52 points \(window_size=50 \+ 2\); got 40"):
        LSTMDetector().fit(x[:40])


def test_device_auto_resolves_to_an_available_device() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="CUDA is not available"):
            resolve_device("cuda")


def test_centred_windows_recover_after_a_level_shift() -> None:
    # a sine that jumps up by 5 training standard deviations half-way through the test part
    x = np.sin(2 * np.pi * np.arange(600) / 25) + 0.05 * np.random.default_rng(3).standard_normal(600)
    x[450:] += 5 * x[:300].std()
    late = slice(520, 600)
    centred = LSTMDetector(**SMALL, centre_windows=True).fit(x[:300]).score(x)
    levels = LSTMDetector(**SMALL, centre_windows=False).fit(x[:300]).score(x)
    # the shift itself stands out in both, but only the centred model forgets it once past
    assert centred[450] > 5 * np.median(centred[320:440])
    assert np.median(centred[late]) < 2 * np.median(centred[320:440])
    assert np.median(levels[late]) > np.median(centred[late])
