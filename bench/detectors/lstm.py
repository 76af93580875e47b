"""LSTM forecaster: a window of the last W points predicts the next; the score is the prediction error.

The method of Malhotra et al., "Long Short Term Memory Networks for Anomaly
Detection in Time Series" (ESANN 2015), in its common single-step form (as in
PyOD's ``ts_lstm``): an LSTM reads ``x[t-W:t]`` and predicts ``x[t]`` (all
channels); the anomaly score of ``x[t]`` is the L2 norm over channels of the
prediction error, in units of the training part's per-channel standard
deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from bench.detectors._torch import resolve_device, standardiser, train_seeded
from bench.detectors.base import Detector, check_positive_int, fill_warmup
from bench.errors import ParameterError


def sliding_windows(X: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``(n - window, window, d)`` view: row i is ``X[i : i + window]``, the input that predicts ``X[i + window]``."""
    view = np.lib.stride_tricks.sliding_window_view(X, window, axis=0)  # (n - w + 1, d, w)
    return view[:-1].transpose(0, 2, 1)


class Forecaster(torch.nn.Module):
    """LSTM layers, then a linear map from the last hidden state to the next point."""

    def __init__(self, n_features: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(
            n_features,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.head = torch.nn.Linear(hidden, n_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


class LSTMDetector(Detector):
    """Forecast the next point from the last ``window_size`` points with an LSTM; score = error.

    Parameters
    ----------
    window_size
        W, the number of past points the model reads. The first W points of
        any scored series have no prediction: they get the lowest score of the
        series (``n_warmup_ = W``).
    hidden_size, num_layers, dropout
        The LSTM (seed architecture: 64 units, 2 layers).
    epochs, batch_size, learning_rate
        Adam, mean squared error, mini-batches shuffled by the seed.
    validation_fraction, patience
        The last ``validation_fraction`` of the training windows (in time
        order) is held out; training stops when its loss has not improved for
        ``patience`` epochs, and the best epoch's weights are kept. With fewer
        than 10 training windows there is no validation slice.
    centre_windows
        Subtract each window's last value from the window and the target, so
        the model learns changes rather than levels and a slow drift or a
        level shift does not leave every later point out of the training
        range (measured on yahoo-synth and NAB, see the README).
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:k]"``.
    seed
        Seeds weight initialisation and shuffling; same seed, same scores
        bit for bit on CPU.

    Normalisation (per-channel mean and standard deviation) is fitted on the
    training data only; a constant channel gets standard deviation 1.
    The detector is causal: the score of ``x[t]`` uses ``x[t-W : t+1]`` only.
    """

    def __init__(
        self,
        *,
        window_size: int = 50,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.0,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.2,
        patience: int = 5,
        centre_windows: bool = True,
        device: str = "auto",
        seed: int = 0,
    ) -> None:
        self.window_size = window_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.centre_windows = centre_windows
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
        if not 0.0 <= float(self.validation_fraction) < 1.0:
            raise ParameterError(f"{name}: validation_fraction must be in [0, 1); got {self.validation_fraction!r}.")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ParameterError(f"{name}: dropout must be in [0, 1); got {self.dropout!r}.")
        if not float(self.learning_rate) > 0:
            raise ParameterError(f"{name}: learning_rate must be > 0; got {self.learning_rate!r}.")

    # ------------------------------------------------------------------ fit
    def _fit(self, X: NDArray[np.float64]) -> None:
        self.device_ = resolve_device(self.device)
        self.mean_, self.std_ = standardiser(X)
        Z = (X - self.mean_) / self.std_
        W = self.window_size
        inputs = sliding_windows(Z, W)
        targets = Z[W:]
        if self.centre_windows:
            last = inputs[:, -1, :]
            inputs = inputs - last[:, None, :]
            targets = targets - last
        n_windows = inputs.shape[0]
        n_val = int(n_windows * self.validation_fraction) if n_windows >= 10 else 0
        d = X.shape[1]
        self.model_, self.history_, self.best_val_loss_ = train_seeded(
            lambda: Forecaster(d, self.hidden_size, self.num_layers, self.dropout),
            inputs,
            targets,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=self.seed,
            device=self.device_,
            n_val=n_val,
            patience=self.patience,
        )
        self.epochs_run_ = len(self.history_)
        self.n_warmup_ = W
        self._buffer = Z[-W:].copy()

    # ---------------------------------------------------------------- score
    def _predict(self, windows: NDArray[np.float64]) -> NDArray[np.float64]:
        """The model's prediction of the point after each ``(W, d)`` window, in normalised units."""
        offset = windows[:, -1, :] if self.centre_windows else np.zeros((windows.shape[0], windows.shape[2]))
        if self.centre_windows:
            windows = windows - offset[:, None, :]
        out = np.empty((windows.shape[0], windows.shape[2]), dtype=np.float64)
        chunk = 4096
        with torch.no_grad():
            for start in range(0, windows.shape[0], chunk):
                batch = torch.as_tensor(
                    np.ascontiguousarray(windows[start : start + chunk]), dtype=torch.float32, device=self.device_
                )
                out[start : start + chunk] = self.model_(batch).cpu().numpy()
        return out + offset

    def _score(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        W = self.window_size
        Z = (X - self.mean_) / self.std_
        scores = np.zeros(X.shape[0], dtype=np.float64)
        pred = self._predict(sliding_windows(Z, W))
        scores[W:] = np.sqrt(((pred - Z[W:]) ** 2).sum(axis=1))
        return fill_warmup(scores, W)

    def _update(self, x: NDArray[np.float64]) -> float:
        """Score one new point from the last W seen (training data first), then append it."""
        z = (x - self.mean_) / self.std_
        pred = self._predict(self._buffer[None, :, :])[0]
        self._buffer = np.vstack((self._buffer[1:], z))
        return float(np.sqrt(((pred - z) ** 2).sum()))
