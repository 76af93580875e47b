"""Sliding-window helpers shared by the window-based baselines (views, chunked reductions, buffers).

Two kinds of window appear in the detectors:

- *trailing* windows ``X[t-w+1 : t+1]``, which end at the point they score
  (isolation forest, autoencoder);
- *previous* windows ``X[t-w : t]``, the history a point is compared with,
  which stop just before it (rolling z-score and MAD: score, then learn).

Every reduction here runs on C-contiguous ``(m, d, w)`` blocks, so the batch
path (``score``) and the streaming path (``update``, a block with ``m = 1``)
perform the same floating-point operations and agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

#: Rows per chunk are chosen so a chunk holds about this many float64 values (8 MiB).
CHUNK_VALUES = 1 << 20

Reduction = Callable[[NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]]


def trailing_windows(X: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """``(n - window + 1, window * d)`` array: row ``i`` is ``X[i : i + window]`` flattened time-major.

    Row ``i`` is the window that ends at (and scores) point ``i + window - 1``.
    Always a fresh, writable copy; ``X`` is ``(n, d)`` with ``n >= window``.
    """
    view = np.lib.stride_tricks.sliding_window_view(X, window, axis=0)  # (m, d, w)
    return np.array(view.transpose(0, 2, 1), order="C").reshape(view.shape[0], -1)


def centre(windows: NDArray[np.float64], d: int) -> NDArray[np.float64]:
    """Flattened ``(k, w * d)`` windows minus each window's per-channel mean (compare shapes, not levels)."""
    shaped = windows.reshape(windows.shape[0], -1, d)
    return (shaped - shaped.mean(axis=1, keepdims=True)).reshape(windows.shape[0], -1)


def previous_window_stats(
    X: NDArray[np.float64], window: int, reduce: Reduction
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-channel ``(center, scale)`` of ``X[t-window : t]`` for every ``t >= window``.

    ``reduce`` maps a C-contiguous ``(m, d, window)`` block to two ``(m, d)``
    arrays. Returns two ``(n - window, d)`` arrays whose row ``j`` belongs to
    point ``t = window + j``; empty when ``n <= window``.
    """
    n, d = X.shape
    m = max(n - window, 0)
    center = np.empty((m, d), dtype=np.float64)
    scale = np.empty((m, d), dtype=np.float64)
    if m == 0:
        return center, scale
    view = np.lib.stride_tricks.sliding_window_view(X[:-1], window, axis=0)  # (m, d, w)
    rows = max(1, CHUNK_VALUES // (window * d))
    for start in range(0, m, rows):
        block = np.ascontiguousarray(view[start : start + rows])
        c, s = reduce(block)
        center[start : start + rows] = c
        scale[start : start + rows] = s
    return center, scale


def buffer_block(buffer: NDArray[np.float64]) -> NDArray[np.float64]:
    """A ``(w, d)`` history buffer as the C-contiguous ``(1, d, w)`` block :func:`previous_window_stats` reduces."""
    return np.ascontiguousarray(buffer.T[None, :, :])


def push(buffer: NDArray[np.float64], x: NDArray[np.float64], capacity: int) -> NDArray[np.float64]:
    """Append the row ``x`` (``(d,)``) to a ``(k, d)`` buffer, keeping the last ``capacity`` rows."""
    out = np.vstack((buffer, x[None, :]))
    return out[-capacity:] if out.shape[0] > capacity else out
