"""LSTM forecaster: a window of the last W points predicts the next; the score is the prediction error.

The method of Malhotra et al., "Long Short Term Memory Networks for Anomaly
Detection in Time Series" (ESANN 2015), in its common single-step form (as in
PyOD's ``ts_lstm``): an LSTM reads the recent past and predicts ``x[t]`` (all
channels); the anomaly score of ``x[t]`` is the L2 norm over channels of the
prediction error, in units of a fraction of each channel's range in the
training part (see ``range_fraction``). By default a linear autoregressive
"highway" over the whole window is added to the LSTM's prediction, as in
LSTNet (Lai, Chang, Yang & Liu, "Modeling Long- and Short-Term Temporal
Patterns with Deep Neural Networks", SIGIR 2018); see :class:`LSTMDetector`
for why and what it changes.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import NDArray

from bench.detectors._torch import resolve_device, standardiser, train_seeded
from bench.detectors.base import Detector, check_positive_int, check_seed, fill_warmup
from bench.errors import ParameterError

#: Windows per forward pass when scoring (bounds memory).
SCORE_CHUNK = 4096


def sliding_windows(X: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``(n - window, window, d)`` view: row i is ``X[i : i + window]``, the input that predicts ``X[i + window]``."""
    view = np.lib.stride_tricks.sliding_window_view(X, window, axis=0)  # (n - w + 1, d, w)
    return view[:-1].transpose(0, 2, 1)


def error_unit(Z: NDArray[np.float64], range_fraction: float | None) -> NDArray[np.float64]:
    """Per-channel unit of the prediction error, in the standardised units of ``Z`` (the training part).

    ``range_fraction`` times the channel's range (max - min) in ``Z``; 1 (one
    standard deviation) where the range is 0 or ``range_fraction`` is None.

    >>> error_unit(np.array([[0.0, 5.0], [2.0, 5.0], [1.0, 5.0]]), 0.5).tolist()
    [1.0, 1.0]
    >>> error_unit(np.array([[0.0], [4.0]]), 0.4).tolist(), error_unit(np.array([[0.0], [4.0]]), None).tolist()
    ([1.6], [1.0])
    """
    if range_fraction is None:
        return np.ones(Z.shape[1])
    span = Z.max(axis=0) - Z.min(axis=0)
    return np.where(span > 0, float(range_fraction) * span, 1.0)


class Forecaster(torch.nn.Module):
    """An LSTM over the window's last ``lstm_window`` points, a linear head, plus the highway.

    The head maps the last hidden state to the ``d`` channels; the highway
    (when ``window > 0``) is a linear map of the whole flattened ``(window,
    d)`` input, added to the head's output.
    """

    def __init__(
        self, n_features: int, hidden: int, layers: int, dropout: float, *, lstm_window: int, window: int = 0
    ) -> None:
        super().__init__()
        self.lstm_window = lstm_window
        self.highway = torch.nn.Linear(window * n_features, n_features) if window else None
        self.lstm = torch.nn.LSTM(
            n_features,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.head = torch.nn.Linear(hidden, n_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x[:, -self.lstm_window :, :])
        y = self.head(out[:, -1, :])
        if self.highway is not None:
            y = y + self.highway(x.reshape(x.shape[0], -1))
        return y


class LSTMDetector(Detector):
    """Forecast the next point from the last ``window_size`` points with an LSTM (and a linear highway); score = error.

    A small LSTM reads the last ``lstm_window`` points of the window and a
    linear "highway" (LSTNet's autoregressive component) reads all of it;
    their sum predicts the next point, all channels. Adam on mean squared
    error, mini-batches shuffled by ``seed``; training stops when the loss
    on the last ``validation_fraction`` of the training windows (in time
    order; none with fewer than 10 windows) has not improved for
    ``patience`` epochs, and the best epoch's weights are kept. Per-channel
    mean and standard deviation come from the training part (a constant
    channel gets 1). Causal: the score of ``x[t]`` uses ``x[t-W : t+1]``
    only; the first W points score 0.0, the lowest score (``n_warmup_ = W``).

    Why these defaults (the measurements, and what was tried and dropped,
    are in ``baselines/README.md``, "LSTM design notes"): the highway over
    100 points carries the quality, learning seasonal and long-range linear
    structure that a small LSTM does not pick up from a few hundred training
    windows; the LSTM is small (16 units, one layer, the last 5 points),
    which costs no quality and, with Adam's fused kernel and smaller batches,
    took NAB from 222 to 25 CPU seconds (the original: 64 x 2 units over 50
    points, no highway), and batches of 64 at a learning rate of 5e-3 (fewer
    optimiser steps, which set the fit time) about halve that again; at most 60 epochs, as a cap of 30 often
    ended training before early stopping did; and the error is measured in
    units of 40% of each channel's training range, so that the anomaly
    likelihood's fixed floors (``lstm+likelihood``) act alike on smooth and
    noisy series.

    Parameters
    ----------
    window_size
        W, the past points the model reads.
    lstm_window
        The LSTM reads the last ``min(lstm_window, W)`` of them (``None``: all W).
    highway
        Add the linear map of the whole window to the LSTM's prediction.
    hidden_size, num_layers, dropout
        The LSTM.
    epochs, batch_size, learning_rate, validation_fraction, patience
        Training, as above: at most ``epochs`` passes.
    centre_windows
        Subtract each window's last value from the window and the target: the
        model learns changes, not levels, so a drift or a level shift does not
        leave every later point outside the training range.
    range_fraction
        The score's unit: each channel's error divided by ``range_fraction``
        times its training range (max - min; one standard deviation for a
        constant channel), then the L2 norm over channels. ``None``: training
        standard deviations. It changes neither training nor a univariate
        series' own metrics, only how scores of different series compare
        (NAB's corpus threshold, the likelihood's floors).
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:k]"``.
    seed
        Seeds weight initialisation and shuffling; same seed, same scores bit for bit on CPU.
    """

    needs_torch: ClassVar[bool] = True
    raw_error: ClassVar[bool] = True
    reports_epochs: ClassVar[bool] = True
    seed_param: ClassVar[str | None] = "seed"

    def __init__(
        self,
        *,
        window_size: int = 100,
        lstm_window: int | None = 5,
        highway: bool = True,
        hidden_size: int = 16,
        num_layers: int = 1,
        dropout: float = 0.0,
        epochs: int = 60,
        batch_size: int = 64,
        learning_rate: float = 5e-3,
        validation_fraction: float = 0.2,
        patience: int = 5,
        centre_windows: bool = True,
        range_fraction: float | None = 0.4,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        self.window_size = window_size
        self.lstm_window = lstm_window
        self.highway = highway
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.centre_windows = centre_windows
        self.range_fraction = range_fraction
        self.device = device
        self.seed = seed

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"window_size": 10, "hidden_size": 16, "num_layers": 1, "epochs": 15, "device": "cpu"}

    def min_length(self) -> int:
        return int(self.window_size) + 2

    def _min_length_why(self) -> str:
        return f"window_size={self.window_size} + 2"

    def _validate_params(self) -> None:
        name = type(self).__name__
        for p in ("window_size", "hidden_size", "num_layers", "epochs", "batch_size", "patience"):
            check_positive_int(name, p, getattr(self, p))
        check_seed(name, self.seed)
        if self.lstm_window is not None:
            check_positive_int(name, "lstm_window", self.lstm_window)
        if not isinstance(self.highway, (bool, np.bool_)):
            raise ParameterError(f"{name}: highway must be True or False; got {self.highway!r}.")
        if not 0.0 <= float(self.validation_fraction) < 1.0:
            raise ParameterError(f"{name}: validation_fraction must be in [0, 1); got {self.validation_fraction!r}.")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ParameterError(f"{name}: dropout must be in [0, 1); got {self.dropout!r}.")
        if not float(self.learning_rate) > 0:
            raise ParameterError(f"{name}: learning_rate must be > 0; got {self.learning_rate!r}.")
        rf = self.range_fraction
        if rf is not None and (
            isinstance(rf, bool) or not isinstance(rf, (int, float)) or not math.isfinite(rf) or rf <= 0
        ):
            raise ParameterError(f"{name}: range_fraction must be a number > 0 or None; got {rf!r}.")

    # ------------------------------------------------------------------ fit
    def _fit(self, X: NDArray[np.float64]) -> None:
        self.device_ = resolve_device(self.device)
        self.mean_, self.std_ = standardiser(X)
        Z = (X - self.mean_) / self.std_
        self.unit_ = error_unit(Z, self.range_fraction)
        W = int(self.window_size)
        inputs = sliding_windows(Z, W)
        targets = Z[W:]
        if self.centre_windows:
            last = inputs[:, -1, :]
            inputs = inputs - last[:, None, :]
            targets = targets - last
        n_windows = inputs.shape[0]
        n_val = int(n_windows * self.validation_fraction) if n_windows >= 10 else 0
        d = X.shape[1]
        steps = W if self.lstm_window is None else min(int(self.lstm_window), W)
        self.model_, self.history_, self.best_val_loss_ = train_seeded(
            lambda: Forecaster(
                d,
                int(self.hidden_size),
                int(self.num_layers),
                float(self.dropout),
                lstm_window=steps,
                window=W if self.highway else 0,
            ),
            inputs,
            targets,
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            seed=int(self.seed),
            device=self.device_,
            n_val=n_val,
            patience=int(self.patience),
            fused=True,
        )
        self.epochs_run_ = len(self.history_)
        self.n_warmup_ = W
        self._buffer = Z[-W:].copy()

    # ---------------------------------------------------------------- score
    def _predict(self, windows: NDArray[np.float64]) -> NDArray[np.float64]:
        """The model's prediction of the point after each ``(W, d)`` window, in normalised units."""
        out = np.empty((windows.shape[0], windows.shape[2]), dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, windows.shape[0], SCORE_CHUNK):
                block = windows[start : start + SCORE_CHUNK]
                if self.centre_windows:
                    block = block - block[:, -1:, :]
                batch = torch.as_tensor(np.ascontiguousarray(block), dtype=torch.float32, device=self.device_)
                out[start : start + SCORE_CHUNK] = self.model_(batch).cpu().numpy()
        if self.centre_windows:
            out += windows[:, -1, :]
        return out

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        W = int(self.window_size)
        Z = (X - self.mean_) / self.std_
        scores = np.zeros(X.shape[0], dtype=np.float64)
        pred = self._predict(sliding_windows(Z, W))
        scores[W:] = np.sqrt((((pred - Z[W:]) / self.unit_) ** 2).sum(axis=1))
        return fill_warmup(scores, W)

    def _update(self, x: NDArray[np.float64]) -> float:
        """Score one new point from the last W seen (training data first), then append it."""
        z = (x - self.mean_) / self.std_
        pred = self._predict(self._buffer[None, :, :])[0]
        self._buffer = np.vstack((self._buffer[1:], z))
        return float(np.sqrt((((pred - z) / self.unit_) ** 2).sum()))
