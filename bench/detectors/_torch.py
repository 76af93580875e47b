"""PyTorch helpers shared by the neural detectors: device choice, standardisation, seeded training.

Imported only by the modules that need torch (``lstm``, ``autoencoder``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from bench.errors import ParameterError


def resolve_device(device: str) -> str:
    """``"auto"`` becomes ``"cuda"`` when a GPU is visible, else ``"cpu"``; others pass through."""
    if not isinstance(device, str):
        raise ParameterError(f"device must be 'auto', 'cpu' or 'cuda[:k]'; got {device!r}.")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} but CUDA is not available; use device='auto' or 'cpu'.")
    return device


def standardiser(X: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-channel mean and standard deviation of ``X``; a constant channel gets std 1."""
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)


def train_seeded(
    build: Callable[[], torch.nn.Module],
    inputs: NDArray[np.float64],
    targets: NDArray[np.float64],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: str,
    n_val: int = 0,
    patience: int | None = None,
    fused: bool = False,
) -> tuple[torch.nn.Module, list[dict[str, float]], float]:
    """Adam on mean squared error, mini-batches shuffled by ``seed``; returns (model, history, best loss).

    The model is built and trained inside a forked torch RNG seeded with
    ``seed``, so training is repeatable and leaves the caller's global random
    state untouched. With ``n_val > 0`` the last ``n_val`` rows are held out,
    training stops after ``patience`` epochs without a better validation loss,
    and the best epoch's weights are restored; otherwise all epochs run and
    the monitored loss is the training loss. ``fused=True`` asks for Adam's
    fused kernel (one loop over all parameters in C++: about a fifth of a
    small LSTM's training time saved on CPU); its arithmetic differs from the
    default loop in the last bits, and torch versions without it (before
    2.4 on CPU) fall back to the default loop (see :func:`adam_step`).
    """
    with torch.random.fork_rng(devices=[] if device == "cpu" else None):
        torch.manual_seed(seed)
        model = build().to(device)
        gen = torch.Generator().manual_seed(seed)
        xt = torch.as_tensor(np.ascontiguousarray(inputs), dtype=torch.float32, device=device)
        yt = torch.as_tensor(np.ascontiguousarray(targets), dtype=torch.float32, device=device)
        n_train = xt.shape[0] - n_val
        x_train, y_train, x_val, y_val = xt[:n_train], yt[:n_train], xt[n_train:], yt[n_train:]
        step = adam_step(model, learning_rate, fused)
        loss_fn = torch.nn.MSELoss()
        best_loss, best_state, stale = float("inf"), None, 0
        history: list[dict[str, float]] = []
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(n_train, generator=gen).to(device)
            total = 0.0
            for start in range(0, n_train, batch_size):
                idx = order[start : start + batch_size]
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                step()
                total += float(loss.detach()) * idx.numel()
            record: dict[str, Any] = {"epoch": epoch + 1, "train_loss": total / n_train}
            if n_val:
                model.eval()
                with torch.no_grad():
                    record["val_loss"] = float(loss_fn(model(x_val), y_val))
            history.append(record)
            if patience is None:
                continue
            monitored = record.get("val_loss", record["train_loss"])
            if monitored < best_loss:
                best_loss, best_state, stale = monitored, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
                if stale >= patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
    model.eval()
    return model, history, best_loss if patience is not None else history[-1]["train_loss"]


ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
"""torch.optim.Adam's defaults, which the fused step passes to the kernel itself."""


def adam_step(model: torch.nn.Module, learning_rate: float, fused: bool) -> Callable[[], None]:
    """A function that takes one Adam step on ``model``'s gradients and then clears them.

    With ``fused=True`` it calls the fused kernel that ``torch.optim.Adam(...,
    fused=True).step()`` calls, with the same state and arguments, so the
    result is the same bit for bit; the optimiser's own bookkeeping around
    that call (parameter groups, state look-up, hooks) cost a small model as
    much as the kernel, about a fifth of an LSTM training step on CPU. Where
    the kernel is missing (older torch, another device) it is the optimiser's
    ``step`` and ``zero_grad``.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    kernel = getattr(torch, "_fused_adam_", None)
    device = params[0].device.type if params else "cpu"
    if not (fused and kernel is not None and device in ("cpu", "cuda")):
        optimiser = _adam(model, learning_rate, fused)

        def default_step() -> None:
            optimiser.step()
            optimiser.zero_grad()

        return default_step
    exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
    exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
    steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]
    beta1, beta2 = ADAM_BETAS

    def fused_step() -> None:
        grads = [p.grad for p in params]
        torch._foreach_add_(steps, 1)
        kernel(
            params,
            grads,
            exp_avg,
            exp_avg_sq,
            [],
            steps,
            amsgrad=False,
            lr=learning_rate,
            beta1=beta1,
            beta2=beta2,
            weight_decay=0.0,
            eps=ADAM_EPS,
            maximize=False,
        )
        for p in params:
            p.grad = None

    return fused_step


def _adam(model: torch.nn.Module, learning_rate: float, fused: bool) -> torch.optim.Optimizer:
    if fused:
        try:
            return torch.optim.Adam(model.parameters(), lr=learning_rate, fused=True)
        except (RuntimeError, TypeError):  # no fused kernel for this torch version or device
            pass
    return torch.optim.Adam(model.parameters(), lr=learning_rate)
