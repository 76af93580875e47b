"""LSTM forecaster specifics beyond the conformance battery."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.detectors._torch import resolve_device
from bench.detectors.lstm import Forecaster, LSTMDetector, sliding_windows
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
    with pytest.raises(ParameterError, match="lstm_window must be an integer >= 1; got 0"):
        LSTMDetector(lstm_window=0).fit(x)
    with pytest.raises(ParameterError, match="highway must be True or False; got 'yes'"):
        LSTMDetector(highway="yes").fit(x)
    with pytest.raises(DataError, match=r"needs at least 102 points \(window_size=100 \+ 2\); got 40"):
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


def test_the_lstm_reads_only_its_last_lstm_window_points_and_the_highway_all() -> None:
    torch.manual_seed(0)
    a = torch.randn(3, 10, 1)
    b = a.clone()
    b[:, :6, :] += 1.0  # change the 6 oldest points only
    plain = Forecaster(1, 8, 1, 0.0, lstm_window=4)
    with_highway = Forecaster(1, 8, 1, 0.0, lstm_window=4, window=10)
    with torch.no_grad():
        assert torch.equal(plain(a), plain(b))
        assert not torch.equal(with_highway(a), with_highway(b))


def test_lstm_window_is_capped_at_the_window_and_the_old_model_is_one_setting_away() -> None:
    x, _ = sine_with_spikes()
    det = LSTMDetector(**SMALL, lstm_window=25).fit(x[:300])  # lstm_window=25 > window_size=10
    assert det.model_.lstm_window == 10 and det.model_.highway is not None
    old = LSTMDetector(**SMALL, lstm_window=None, highway=False).fit(x[:300])
    assert old.model_.lstm_window == 10 and old.model_.highway is None
    assert not np.array_equal(det.score(x), old.score(x))


def test_the_highway_learns_a_seasonal_pattern_the_small_lstm_misses() -> None:
    # period 24 and a window of 48: the next change is the change 24 steps back, a linear rule
    t = np.arange(700)
    noise = 0.05 * np.random.default_rng(4).standard_normal(700)
    x = np.sin(2 * np.pi * t / 24) + 0.5 * np.sin(2 * np.pi * t / 8) + noise
    params = {"window_size": 48, "hidden_size": 8, "epochs": 10, "device": "cpu"}
    with_highway = LSTMDetector(**params).fit(x)
    plain = LSTMDetector(**params, highway=False).fit(x)
    assert with_highway.best_val_loss_ < 0.5 * plain.best_val_loss_


def test_fused_adam_trains_like_the_default_loop() -> None:
    from bench.detectors._torch import train_seeded

    x, _ = sine_with_spikes()
    inputs = sliding_windows(x[:300, None], 10)
    runs = [
        train_seeded(
            lambda: Forecaster(1, 8, 1, 0.0, lstm_window=10, window=10),
            inputs,
            x[10:300, None],
            epochs=5,
            batch_size=32,
            learning_rate=3e-3,
            seed=0,
            device="cpu",
            fused=fused,
        )[1]
        for fused in (False, True)
    ]
    losses = [[h["train_loss"] for h in history] for history in runs]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert losses[1][-1] < losses[1][0]


def test_scores_are_errors_in_units_of_a_fraction_of_the_training_range() -> None:
    x, _ = sine_with_spikes()
    x = x * 3 + 7
    in_std = LSTMDetector(**SMALL, range_fraction=None).fit(x[:300])
    in_range = LSTMDetector(**SMALL, range_fraction=0.4).fit(x[:300])
    span = (x[:300].max() - x[:300].min()) / x[:300].std()  # the training range in standard deviations
    assert in_range.unit_ == pytest.approx([0.4 * span])
    # the unit does not touch training: the same model, the score divided by the unit
    np.testing.assert_allclose(in_range.score(x), in_std.score(x) / (0.4 * span), rtol=1e-12)
    assert in_range.update(x[300]) == pytest.approx(in_std.update(x[300]) / (0.4 * span), rel=1e-12)


def test_each_channel_has_its_own_range_unit_and_a_constant_channel_keeps_one_std() -> None:
    x, _ = sine_with_spikes()
    X = np.column_stack((x, 10 * np.cos(np.arange(x.size) / 5), np.full(x.size, 2.0)))
    det = LSTMDetector(**SMALL).fit(X[:300])
    Z = (X[:300] - X[:300].mean(axis=0)) / np.where(X[:300].std(axis=0) > 0, X[:300].std(axis=0), 1.0)
    expected = [0.4 * (Z[:, 0].max() - Z[:, 0].min()), 0.4 * (Z[:, 1].max() - Z[:, 1].min()), 1.0]
    np.testing.assert_allclose(det.unit_, expected, rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), "wide", True])
def test_range_fraction_must_be_a_positive_number_or_none(bad: object) -> None:
    x, _ = sine_with_spikes()
    with pytest.raises(ParameterError, match="range_fraction must be a number > 0 or None"):
        LSTMDetector(**SMALL, range_fraction=bad).fit(x[:300])


def test_the_direct_fused_adam_step_equals_the_optimiser_bit_for_bit() -> None:
    from bench.detectors._torch import adam_step

    x = torch.randn(64, 10, 1, generator=torch.Generator().manual_seed(1))
    y = x[:, -1, :] * 0.5
    models = []
    for direct in (False, True):
        torch.manual_seed(0)
        model = Forecaster(1, 8, 1, 0.0, lstm_window=5, window=10)
        if direct:
            step = adam_step(model, 3e-3, fused=True)
        else:
            optimiser = torch.optim.Adam(model.parameters(), lr=3e-3, fused=True)
        for i in range(5):
            torch.nn.functional.mse_loss(model(x[i * 8 : i * 8 + 8]), y[i * 8 : i * 8 + 8]).backward()
            if direct:
                step()
            else:
                optimiser.step()
                optimiser.zero_grad()
        models.append(model)
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)
        assert b.grad is None  # the step clears the gradients
    torch.manual_seed(0)
    untrained = Forecaster(1, 8, 1, 0.0, lstm_window=5, window=10)
    assert not torch.equal(models[1].head.weight, untrained.head.weight)  # the steps did move the weights
