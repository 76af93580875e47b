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
from bench.detectors.base import Detector, check_positive_int, fill_warmup
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

    Parameters
    ----------
    window_size
        W, the number of past points the model reads. The first W points of
        any scored series have no prediction: they score 0.0, the lowest
        score (``n_warmup_ = W``).
    lstm_window
        The LSTM reads the last ``min(lstm_window, window_size)`` points of
        the window (``None``: all W). Its cost grows with this length, and
        the trained LSTM's memory is short: with a window of 100, reading all
        100 points instead of the last 50 changed no yahoo-synth score by
        more than 1.2e-4, and reading 25 gave the same quality on NAB and
        yahoo-synth.
    highway
        Add a linear map of the whole window (LSTNet's autoregressive
        highway) to the LSTM's prediction. It learns seasonal and long-range
        linear structure that the small LSTM does not pick up in the few
        hundred training windows a series offers.
    hidden_size, num_layers, dropout
        The LSTM.
    epochs, batch_size, learning_rate
        Adam, mean squared error, mini-batches shuffled by the seed; at most
        ``epochs`` passes (early stopping usually ends training sooner).
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
    range_fraction
        The score's unit: the prediction error of each channel is divided by
        ``range_fraction`` times that channel's range (max - min) in the
        training part, then the L2 norm over channels is taken. ``None``:
        the error in training standard deviations (the score before 0.4
        became the default). A constant training channel keeps one
        standard deviation as its unit. It does not change training, and
        per-series metrics only through the channels' relative weights;
        it matters where scores of different series are compared (NAB's
        corpus threshold) and to the anomaly likelihood's floors (see Notes).
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:k]"``.
    seed
        Seeds weight initialisation and shuffling; same seed, same scores
        bit for bit on CPU.

    Notes
    -----
    Normalisation (per-channel mean and standard deviation) is fitted on the
    training data only; a constant channel gets standard deviation 1.
    The detector is causal: the score of ``x[t]`` uses ``x[t-W : t+1]`` only.

    Defaults, and what they replaced. Quality is measured with the anomaly
    likelihood post-processor (``lstm+likelihood``) and raw, mean ± sample
    standard deviation over seeds 0, 1, 2 (the commands are in
    ``baselines/README.md``); "held" is the mean over seeds 3-6, a check
    of the picture from seeds 0-2 (on which the defaults were chosen).

    1. The original model (``window_size=50, lstm_window=None,
       highway=False, hidden_size=64, num_layers=2, epochs=30, batch_size=64,
       learning_rate=1e-3, range_fraction=None``; it is that setting away,
       up to float32 rounding, as Adam now runs its fused kernel): NAB
       standard +likelihood 58.1 ± 1.0, yahoo-synth VUS-PR +likelihood
       0.640 ± 0.020, 222 CPU seconds for NAB's fit and score.
    2. The highway model (``epochs=30, range_fraction=None``): the same
       quality (NAB 59.3, yahoo-synth 0.651) at 25 CPU seconds. The gain
       comes from the highway and the longer window it reads: with the LSTM
       reduced to a constant (``lstm_window=1``: it reads only the centred
       last value, always 0) it scores within seed noise of it, and so does
       ``hidden_size=32``; without the highway the small LSTM is worse than
       the old large one (yahoo-synth 0.565 at window 50). The speed comes
       from the small LSTM (16 units, 1 layer, reading 25 points: about 90x
       fewer multiply-adds per window than 64 x 2 over 50), Adam's fused
       kernel (15-35% of the training time), and more, smaller optimiser
       steps (batch 32, learning rate 3e-3).
    3. Now: at most 60 epochs instead of 30 (32 of NAB's 174 seed x series
       fits ended at the cap of 30, not by early stopping), and the
       error in units of 40% of the training range (``range_fraction=0.4``).
       The anomaly likelihood floors its Gaussian at mean 0.03 and variance
       0.0003, values made for HTM raw scores in [0, 1]; an error in
       standard deviations is ~0.03 on a smooth series and ~1 on a noisy
       one, so the floors acted on some series and not others. In units of
       the range, a near-perfect forecast on any series falls under the
       floors, and a deviation must be a sizeable part of the series' range
       to look extreme.

    =================================  ===============  ===============
    metric                             highway model    now
    =================================  ===============  ===============
    NAB standard, +likelihood          59.31 ± 1.42     60.60 ± 1.13
    NAB reward_low_FP, +likelihood     49.65 ± 0.64     50.89 ± 0.59
    NAB reward_low_FN, +likelihood     64.67 ± 1.47     65.94 ± 1.08
    NAB standard, +likelihood, held    59.40            60.30
    NAB standard, raw                  14.59 ± 0.34     8.27 ± 0.83
    NAB AUC-PR / VUS-PR, raw           0.198 / 0.235    0.198 / 0.235
    yahoo-synth VUS-PR, +likelihood    0.651 ± 0.034    0.671 ± 0.033
    yahoo-synth VUS-PR, +lik., held    0.614            0.630
    yahoo-synth VUS-PR, raw            0.632 ± 0.016    0.629 ± 0.010
    NAB fit + score, seconds, summed   18-26 + 1.5      20-23 + 1.6
    =================================  ===============  ===============

    Each change alone (NAB standard / yahoo-synth VUS-PR, +likelihood,
    seeds 0-2 and seeds 3-6): 60 epochs 59.59 / 0.645 and 60.11 / 0.613;
    ``range_fraction=0.4`` 60.32 / 0.673 and 59.68 / 0.629. With 60 epochs,
    the fraction trades NAB for yahoo-synth: 0.5 gives 59.95 / 0.683 and
    60.24 / 0.642, 1.0 gives 57.23 / 0.714 and 58.09 / 0.677 (a small
    fraction makes every score large, so the floors never act: the same as
    ``None``). The raw row's NAB score falls because NAB sweeps one
    threshold over all series and the range unit rescales each series
    differently; a univariate series' own metrics (AUC, VUS, F1 at its own
    threshold) do not change with its unit. Tried and worse or within noise (seeds 0-2, NAB /
    yahoo-synth): windows of 50, 75, 150; multi-step targets; 3-model
    ensembles (59.0 / 0.662); weight decay 1e-3; L1 or Huber loss; a random
    validation slice; refitting on all training windows for the chosen
    number of epochs; patience 10 with 100 epochs (58.9 / 0.611 over
    seeds 0-6). One trade-off worth knowing: after a level shift the
    forecast errs for up to W points while the old level is in the window.
    Training with random steps added to the older part of windows (so the
    forecast ignores a past step) lifts yahoo-synth to 0.69-0.73 (its
    shifts are labelled only at their start), but drops NAB to 53-54:
    there, the lasting error is how the likelihood finds a change point.
    """

    needs_torch: ClassVar[bool] = True
    reports_epochs: ClassVar[bool] = True
    seed_param: ClassVar[str | None] = "seed"

    def __init__(
        self,
        *,
        window_size: int = 100,
        lstm_window: int | None = 25,
        highway: bool = True,
        hidden_size: int = 16,
        num_layers: int = 1,
        dropout: float = 0.0,
        epochs: int = 60,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
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
