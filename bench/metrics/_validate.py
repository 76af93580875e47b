"""Shared input validation for metric functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.errors import DataError


def binary(y: ArrayLike, name: str) -> NDArray[np.bool_]:
    """A 1-D 0/1 array as bool; anything else is a DataError."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D; got shape {arr.shape}.")
    if arr.dtype != bool:
        as_bool = arr != 0
        # 0/1 check without np.isin (a hash/sort per call): x is 0 or 1 exactly when x == (x != 0)
        ok = arr == as_bool
        if arr.size and not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            raise DataError(f"{name} must be 0/1; got {arr[bad].item()!r} at index {bad}.")
        arr = as_bool
    return arr


def scores(y: ArrayLike, name: str = "y_score") -> NDArray[np.float64]:
    """A 1-D finite float array."""
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D; got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))[0]
        raise DataError(f"{name} has a non-finite value {arr[bad]} at index {bad}.")
    return arr


def same_length(a: NDArray[np.generic], b: NDArray[np.generic], na: str, nb: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise DataError(f"{na} has {a.shape[0]} points but {nb} has {b.shape[0]}.")


def event_bounds(y_true: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Starts and (exclusive) ends of the runs of True in ``y_true``."""
    padded = np.concatenate(([False], y_true, [False])).astype(np.int8)
    d = np.diff(padded)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)
