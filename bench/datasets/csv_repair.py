"""The documented repairs of a user's CSV series: order rows by time, merge repeated timestamps, fill missing values.

Each repair that changes data is announced with a
:class:`~bench.errors.DataWarning` naming the file, line and column, and
recorded (:attr:`Repairs.notes`, kept in ``Series.metadata["repairs"]``); with
``strict=True`` it is a :class:`~bench.errors.DataError` instead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench.datasets.csv_time import show_time
from bench.errors import DataError, DataWarning

MISSING_REPAIRS = ("interpolate", "ffill", "drop")
DUPLICATE_REPAIRS = ("mean", "first")


@dataclass
class Repairs:
    """Collects repair notes; refuses every repair when ``strict``."""

    strict: bool = False
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Warn about (or, when strict, refuse) one repair described by ``message``."""
        if self.strict:
            raise DataError(f"{message} Refused: csv.strict=true turns every repair into an error.")
        self.notes.append(message)
        warnings.warn(message, DataWarning, stacklevel=3)


@dataclass(frozen=True)
class Rows:
    """One series' parallel arrays while it is being repaired.

    ``values`` ``(n, d)`` with NaN for missing cells, ``labels`` ``(n,)``,
    ``timestamps`` ``(n,)`` ``datetime64[ns]`` or ``None``, ``lines`` the file
    line each row came from (the first one for merged rows).
    """

    values: NDArray[np.float64]
    labels: NDArray[np.int8]
    timestamps: NDArray[np.datetime64] | None
    lines: NDArray[np.int64]

    def take(self, index: NDArray[np.intp]) -> Rows:
        ts = None if self.timestamps is None else self.timestamps[index]
        return Rows(self.values[index], self.labels[index], ts, self.lines[index])


def sort_by_time(rows: Rows, path: Path, repairs: Repairs) -> Rows:
    """Rows in time order (a stable sort, so equal timestamps keep their file order)."""
    ts = rows.timestamps
    if ts is None or len(ts) < 2:
        return rows
    back = np.flatnonzero(ts[1:] < ts[:-1])
    if not back.size:
        return rows
    i = int(back[0]) + 1
    repairs.note(
        f"{path}: timestamps are not in time order: line {rows.lines[i]} ({show_time(ts[i])}) comes after "
        f"line {rows.lines[i - 1]} ({show_time(ts[i - 1])}); steps back in time: {back.size}. "
        "Rows sorted by timestamp."
    )
    return rows.take(np.argsort(ts, kind="stable"))


def merge_duplicates(rows: Rows, path: Path, how: str, repairs: Repairs) -> Rows:
    """One row per timestamp (``rows`` sorted): the ``mean`` of the repeated rows' values (missing
    cells skipped) or the ``first`` row's; the label is 1 when any merged row's is."""
    ts = rows.timestamps
    if ts is None or len(ts) < 2:
        return rows
    same = ts[1:] == ts[:-1]
    if not same.any():
        return rows
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    j = int(np.flatnonzero(same)[0])
    n_groups = int(np.count_nonzero(np.diff(np.concatenate((starts, [len(ts)]))) > 1))
    repairs.note(
        f"{path}: repeated timestamps: {n_groups} (first {show_time(ts[j])} at lines {rows.lines[j]} and "
        f"{rows.lines[j + 1]}); each set of rows merged into one: "
        + ("values averaged (missing cells skipped)" if how == "mean" else "values of the first row")
        + f", label 1 if any row's is (rows merged away: {len(ts) - len(starts)})."
    )
    if how == "mean":
        present = ~np.isnan(rows.values)
        sums = np.add.reduceat(np.where(present, rows.values, 0.0), starts, axis=0)
        counts = np.add.reduceat(present.astype(np.int64), starts, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    else:
        values = rows.values[starts]
    labels = np.maximum.reduceat(rows.labels, starts).astype(np.int8)
    return Rows(values, labels, ts[starts], rows.lines[starts])


def repair_rows(rows: Rows, names: list[str], path: Path, *, missing: str, duplicates: str, repairs: Repairs) -> Rows:
    """The three repairs in order: :func:`sort_by_time`, :func:`merge_duplicates`, :func:`fill_missing`."""
    rows = merge_duplicates(sort_by_time(rows, path, repairs), path, duplicates, repairs)
    return fill_missing(rows, names, path, missing, repairs)


def fill_missing(rows: Rows, names: list[str], path: Path, how: str, repairs: Repairs) -> Rows:
    """Fill missing values by linear interpolation (in time when there are timestamps, else in row order;
    the nearest value at either end), by the previous value (``ffill``; the first value before it), or
    ``drop`` the rows that have any. A column with no value at all is an error."""
    missing = np.isnan(rows.values)
    if not missing.any():
        return rows
    n = len(rows.lines)
    for c, name in enumerate(names):
        if missing[:, c].all():
            raise DataError(f"{path}: column {name!r} has no value at all ({n} cells missing). Choose other columns.")
    if how == "drop":
        bad = np.flatnonzero(missing.any(axis=1))
        i = int(bad[0])
        col = names[int(np.flatnonzero(missing[i])[0])]
        repairs.note(
            f"{path}: {bad.size} rows have missing values (first at line {rows.lines[i]}, column {col!r}); "
            f"those rows removed ({int(rows.labels[bad].sum())} of them labelled anomalous)."
        )
        return rows.take(np.flatnonzero(~missing.any(axis=1)))
    x = np.arange(n, dtype=np.float64) if rows.timestamps is None else rows.timestamps.astype(np.int64).astype(float)
    values = rows.values.copy()
    for c, name in enumerate(names):
        gap = missing[:, c]
        if not gap.any():
            continue
        i = int(np.flatnonzero(gap)[0])
        if how == "interpolate":
            values[gap, c] = np.interp(x[gap], x[~gap], values[~gap, c])
            what = "linear interpolation " + ("in time" if rows.timestamps is not None else "in row order")
        else:
            idx = np.where(~gap, np.arange(n), 0)
            np.maximum.accumulate(idx, out=idx)
            first = int(np.flatnonzero(~gap)[0])
            idx[:first] = first
            values[:, c] = values[idx, c]
            what = "the previous value (the first value before it)"
        repairs.note(
            f"{path}: {int(gap.sum())} missing values in column {name!r} (first at line {rows.lines[i]}); "
            f"filled by {what}."
        )
    return replace(rows, values=values)
