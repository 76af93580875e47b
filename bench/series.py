"""The Series type: one labelled time series as every stage of the pipeline sees it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import DataError


def labels_to_events(labels: NDArray[Any]) -> list[tuple[int, int]]:
    """Contiguous runs of nonzero labels as half-open index ranges ``[start, end)``.

    >>> labels_to_events(np.array([0, 1, 1, 0, 1]))
    [(1, 3), (4, 5)]
    """
    y = np.asarray(labels).astype(bool).astype(np.int8)
    if y.ndim != 1:
        raise DataError(f"labels must be 1-D; got shape {y.shape}.")
    diff = np.diff(np.concatenate(([0], y, [0])))
    starts = np.flatnonzero(diff == 1)
    ends = np.flatnonzero(diff == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def events_to_labels(events: list[tuple[int, int]] | tuple[tuple[int, int], ...], n: int) -> NDArray[np.int8]:
    """Point labels of length ``n``: 1 inside any half-open event ``[start, end)``."""
    y = np.zeros(n, dtype=np.int8)
    for start, end in events:
        y[max(start, 0) : min(end, n)] = 1
    return y


@dataclass(frozen=True, eq=False)
class Series:
    """One labelled series.

    Parameters
    ----------
    dataset, name
        Where it comes from (``"nab"``, ``"realKnownCause/nyc_taxi"``).
    values
        ``(n, d)`` float64 observations (a 1-D input is stored as ``(n, 1)``).
    labels
        ``(n,)`` int8 point labels, 1 = anomalous (for NAB: inside a window).
    timestamps
        ``(n,)`` ``datetime64[ns]`` or ``None`` when the source has none.
    events
        Labelled anomaly events as half-open index ranges ``[start, end)``;
        derived from ``labels`` when not given.
    train_end
        Index where the training part ends: ``values[:train_end]`` is what a
        detector is fit on by default (NAB: the probationary period).
    anomaly_points
        Indices of exact labelled anomaly instants, when the source has them
        (NAB's ``combined_labels.json``); empty otherwise.
    metadata
        Free-form extras (category, file path, generator settings, ...).
    """

    dataset: str
    name: str
    values: NDArray[np.float64]
    labels: NDArray[np.int8]
    timestamps: NDArray[np.datetime64] | None = None
    events: tuple[tuple[int, int], ...] = ()
    train_end: int = 0
    anomaly_points: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise DataError(f"Series {self.name!r}: values must be (n,) or (n, d); got {values.shape}.")
        n = values.shape[0]
        labels = np.asarray(self.labels).astype(np.int8)
        if labels.shape != (n,):
            raise DataError(f"Series {self.name!r}: labels have shape {labels.shape}, values have {n} rows.")
        if self.timestamps is not None and len(self.timestamps) != n:
            raise DataError(f"Series {self.name!r}: {len(self.timestamps)} timestamps for {n} values.")
        if not 0 <= self.train_end <= n:
            raise DataError(f"Series {self.name!r}: train_end={self.train_end} outside [0, {n}].")
        events = tuple(self.events) if self.events else tuple(labels_to_events(labels))
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "events", tuple((int(s), int(e)) for s, e in events))
        object.__setattr__(self, "anomaly_points", np.asarray(self.anomaly_points, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.values.shape[1])

    @property
    def train(self) -> NDArray[np.float64]:
        """The training part, ``values[:train_end]``."""
        return self.values[: self.train_end]

    def fingerprint(self) -> str:
        """A SHA-256 hex digest of everything a detector or metric reads: values, labels, timestamps, events, split.

        Two series with the same fingerprint give the same task results; a
        changed file changes it, so cached results of the old data are not reused.
        Computed once per series (a series is immutable).
        """
        cached = self.__dict__.get("_fingerprint")
        if cached is not None:
            return str(cached)
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.values, dtype="<f8").tobytes())
        h.update(str(self.values.shape).encode())
        h.update(np.ascontiguousarray(self.labels, dtype="i1").tobytes())
        if self.timestamps is not None:
            h.update(np.asarray(self.timestamps).astype("datetime64[ns]").astype("<i8").tobytes())
        h.update(repr((self.events, self.train_end)).encode())
        object.__setattr__(self, "_fingerprint", h.hexdigest())
        return h.hexdigest()

    @property
    def key(self) -> str:
        """``dataset/name``, unique within a run."""
        return f"{self.dataset}/{self.name}"

    def __repr__(self) -> str:
        return (
            f"Series({self.key!r}, n={len(self)}, d={self.n_channels}, "
            f"events={len(self.events)}, train_end={self.train_end})"
        )
