"""The binary score format: one task's raw scores as ``.npy``, each series' timestamps and labels once, as bytes.

A run folder (:mod:`bench.results`) keeps::

    scores/<detector>-<params hash>/seed<k>/<dataset>/<series>.npy   the raw scores, float64 (exact), one per point
    series/<dataset>/<series>.npz      the series' timestamps and labels, once for every row and seed

A score file holds nothing but the scores (8 bytes a point and a 128-byte
header); what every row and seed of a series shares is stored once beside
them. Both encodings are deterministic (same arrays, same bytes), so writers
that race to store one series write identical files, and each file's sha256
goes into the task record (``scores_sha256``, ``series_sha256``) and is
checked on every read.

Run folders of the previous release hold ``<series>.csv`` score files
(``timestamp``, ``anomaly_score``, ``label``) and records without
``series_sha256``; :func:`decode_scores` reads both formats, the record says
which (:func:`scores_suffix`). This module only turns arrays into bytes and
back; :class:`bench.results.RunStore` reads and writes the files (atomically).

>>> data = encode_scores(np.array([0.5, 1.0, 0.1]))
>>> decode_scores(data, Path("s.npy"), n_points=3).tolist()
[0.5, 1.0, 0.1]
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError
from bench.records import TaskRecord
from bench.series import Series

SCORES_SUFFIX = ".npy"
"""A score file of this format: ``.npy``, float64, shape ``(n_points,)``."""
LEGACY_SCORES_SUFFIX = ".csv"
"""A score file of the previous release: CSV with an ``anomaly_score`` column."""
SERIES_SUFFIX = ".npz"
SERIES_FOLDER = "series"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every member of a series file carries this time, so the bytes depend only on the arrays."""


def scores_suffix(record: TaskRecord) -> str:
    """The suffix of a succeeded task's score file: ``.npy``, or ``.csv`` for a record of the previous release.

    A record of this format has ``series_sha256`` (every stored task stores its series).
    """
    return SCORES_SUFFIX if record.series_sha256 is not None else LEGACY_SCORES_SUFFIX


def _npy_bytes(array: NDArray[np.generic]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), version=(1, 0), allow_pickle=False)
    return buf.getvalue()


def encode_scores(scores: NDArray[np.float64]) -> bytes:
    """A score file's bytes: ``.npy`` (version 1.0) of the scores as float64, exact."""
    return _npy_bytes(np.asarray(scores, dtype=np.float64).reshape(-1))


def decode_scores(data: bytes, path: Path, *, n_points: int | None = None, fix: str = "") -> NDArray[np.float64]:
    """The scores in a score file's bytes (``.npy``, or the previous release's CSV by ``path``'s suffix).

    A file that is not one finite float64 score per point (``n_points``, when given) is a
    :class:`~bench.errors.DataError` naming it, ending with ``fix`` (what to do); the caller checks its sha256.
    """
    if path.suffix == LEGACY_SCORES_SUFFIX:
        values = _legacy_scores(data, path)
    else:
        try:
            values = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"Cannot read stored scores {path}: {exc}.") from exc
        if values.dtype != np.float64 or values.ndim != 1:
            raise DataError(f"Cannot read stored scores {path}: {values.dtype} {values.shape}, not float64 (n,).")
    bad = np.flatnonzero(~np.isfinite(values))
    problem = None
    if n_points is not None and len(values) != n_points:
        problem = f"have {len(values)} rows; the series has {n_points} points"
    elif bad.size:
        problem = f"have a score that is not a finite number at data row {bad[0] + 1} ({bad.size} such rows)"
    if problem:
        raise DataError(f"Stored scores {path} {problem}.{fix}")
    return values


def _legacy_scores(data: bytes, path: Path) -> NDArray[np.float64]:
    try:
        frame = pd.read_csv(io.BytesIO(data), usecols=["anomaly_score"])
        return frame["anomaly_score"].to_numpy(dtype=np.float64)
    except (ValueError, KeyError) as exc:
        raise DataError(f"Cannot read stored scores {path}: {exc}.") from exc


@dataclass(frozen=True)
class StoredSeries:
    """What a series file holds: the series' timestamps (None when it has none), labels and fingerprint."""

    timestamps: NDArray[np.datetime64] | None
    labels: NDArray[np.int8]
    fingerprint: str


def _runs(a: NDArray[np.generic]) -> tuple[NDArray[np.generic], NDArray[np.int64]]:
    """Run-length encoding of a 1-D array: each run's value and length (``np.repeat`` undoes it).

    >>> [x.tolist() for x in _runs(np.array([0, 0, 1, 1, 1, 0]))]
    [[0, 1, 0], [2, 3, 1]]
    """
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if len(a) else np.zeros(0, dtype=np.int64)
    return a[starts], np.diff(np.r_[starts, len(a)]).astype(np.int64)


def encode_series(series: Series) -> bytes:
    """A series file's bytes: a zip (``np.load`` reads it) of the labels, the timestamps and the fingerprint.

    Labels are stored as runs (``label_values``, ``label_lengths``); timestamps (ns since the epoch, int64,
    exact) as runs of their steps (``timestamp_steps``, ``timestamp_lengths``; the first step is the first
    timestamp), so a regular series' timestamps take a few bytes whatever its length.
    """
    labels = np.asarray(series.labels, dtype=np.int8)
    members: dict[str, NDArray[np.generic]] = {"fingerprint": np.array([series.fingerprint()])}
    members["label_values"], members["label_lengths"] = _runs(labels)
    if series.timestamps is not None:
        ns = np.asarray(series.timestamps).astype("datetime64[ns]").view(np.int64)
        members["timestamp_steps"], members["timestamp_lengths"] = _runs(np.diff(ns, prepend=np.int64(0)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, array in members.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, _npy_bytes(array), compresslevel=6)
    return buf.getvalue()


def decode_series(data: bytes, path: Path) -> StoredSeries:
    """The arrays in a series file's bytes (:func:`encode_series`); a file that is not one is a DataError."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            labels = np.repeat(z["label_values"], z["label_lengths"]).astype(np.int8)
            timestamps = None
            if "timestamp_steps" in z.files:
                steps = np.repeat(z["timestamp_steps"], z["timestamp_lengths"])
                timestamps = np.cumsum(steps).view("datetime64[ns]")
            fingerprint = str(z["fingerprint"][0])
    except (ValueError, OSError, KeyError, IndexError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"Cannot read stored series {path}: {exc}.") from exc
    return StoredSeries(timestamps, labels, fingerprint)
